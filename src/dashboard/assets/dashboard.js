// The Mongock dashboard page: reads the JSON API next to it and draws every view with DOM calls
// (text only, never HTML strings, so nothing from the database can become markup). No library,
// nothing loaded from elsewhere; the durations chart is SVG drawn here.
(() => {
  const PAGES = ['overview', 'executions', 'units', 'lock', 'durations'];
  const TITLES = { overview: 'Overview', executions: 'Executions', units: 'Change units', lock: 'Lock', durations: 'Unit durations' };
  const SVG = 'http://www.w3.org/2000/svg';
  const SERIES_COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];

  const state = { overview: null, database: null, timer: undefined, filters: { state: '', profile: '', version: '' } };
  const $ = (id) => document.getElementById(id);

  /** `el('td', { class: 'number' }, 'text', childNode)`: an element with attributes and children (strings become text). */
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === false || value === null || value === undefined) continue;
      node.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of children.flat(Number.POSITIVE_INFINITY))
      if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
    return node;
  }

  function svg(tag, attributes, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, String(value));
    for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return node;
  }

  async function api(path, init) {
    const response = await fetch(path, Object.assign({ credentials: 'same-origin', headers: { Accept: 'application/json' } }, init));
    const body = await response.json().catch(() => null);
    if (!response.ok) throw new Error(body?.error?.message || `HTTP ${response.status}`);
    return body;
  }

  function route() {
    const [page, database] = location.hash.replace(/^#\/?/, '').split('/');
    return { page: PAGES.includes(page) ? page : 'overview', database: database ? decodeURIComponent(database) : undefined };
  }

  function link(page, database) {
    return `#/${page}${database ? `/${encodeURIComponent(database)}` : ''}`;
  }

  function setStatus(text, isError) {
    const status = $('status');
    status.textContent = text;
    status.classList.toggle('error', Boolean(isError));
  }

  const formatTime = (iso) => (iso ? el('time', { datetime: iso, title: iso }, new Date(iso).toLocaleString()) : '–');

  function formatDuration(ms) {
    if (ms === null || ms === undefined || ms < 0) return '–';
    if (ms < 1000) return `${Math.round(ms)} ms`;
    if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
    return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  }

  const badge = (value, label) => el('span', { class: `badge state-${value}` }, label || value);

  function empty(title, text) {
    return el('div', { class: 'empty', role: 'note' }, el('strong', {}, title), text);
  }

  function table(caption, headers, rows) {
    return el(
      'table',
      {},
      el('caption', {}, caption),
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          headers.map((header) => el('th', { scope: 'col' }, header)),
        ),
      ),
      el('tbody', {}, rows),
    );
  }

  // ---- views ---------------------------------------------------------------------------------

  function overviewView(overview) {
    if (overview.databases.length === 0) return empty('No database configured.', 'Give the dashboard a configuration with a driver.');
    return el(
      'div',
      { class: 'cards' },
      overview.databases.map((db) => {
        const counts = db.counts;
        const last = db.lastRun;
        return el(
          'section',
          { class: 'card', 'aria-labelledby': `db-${db.name}`, 'data-database': db.name },
          el('h2', { id: `db-${db.name}` }, el('a', { href: link('units', db.name), 'data-key': `units-${db.name}` }, db.name), ' ', badge(db.state)),
          el('p', { class: 'live' }, `${db.driver} driver`),
          db.state === 'error'
            ? el('p', { class: 'state-error' }, db.error)
            : el(
                'dl',
                { class: 'counts' },
                [
                  ['Executed', counts.executed, 'executed'],
                  ['Pending', counts.pending + counts.rolledBack, 'pending'],
                  ['Failed', counts.failed, 'failed'],
                  ['Total', counts.total, ''],
                  ['Changed', counts.changed, 'changed'],
                  ['Lock', db.locked ? 'held' : 'free', db.locked ? 'held' : 'free'],
                ].map(([label, value, kind]) =>
                  el(
                    'div',
                    { 'data-count': label.toLowerCase() },
                    el('dt', {}, label),
                    el('dd', { class: kind && value !== 0 ? `state-${kind}` : null }, value),
                  ),
                ),
              ),
          last === null
            ? el('p', { class: 'live' }, 'No execution recorded yet.')
            : el(
                'p',
                {},
                'Last run ',
                formatTime(last.finishedAt),
                ` on ${last.host}, ${formatDuration(last.durationMs)}, `,
                badge(last.outcome),
                ' ',
                el('a', { href: link('executions', db.name), 'data-key': `timeline-${db.name}` }, 'timeline'),
              ),
        );
      }),
    );
  }

  function executionsView(db) {
    if (db.executions.length === 0) return empty('No executions yet.', 'Nothing has been recorded in this history; run `mongock migrate`.');
    return table(
      `${db.executions.length} execution(s), newest first`,
      ['Execution', 'Host', 'Service', 'Started', 'Duration', 'Outcome', 'Entries'],
      db.executions.map((run) =>
        el(
          'tr',
          {},
          el('td', {}, el('code', {}, run.executionId)),
          el('td', {}, run.host),
          el('td', {}, run.serviceIdentifier || '–'),
          el('td', {}, formatTime(run.startedAt)),
          el('td', { class: 'number' }, formatDuration(run.durationMs)),
          el('td', {}, badge(run.outcome)),
          el('td', {}, `${run.executed} executed, ${run.failed} failed, ${run.rolledBack} rolled back`),
        ),
      ),
    );
  }

  function traceView(trace) {
    if (!trace) return el('p', { class: 'live' }, 'No error recorded (rolled back on request).');
    let parts;
    try {
      const parsed = JSON.parse(trace);
      parts = Object.entries(parsed).map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value, null, 2)]);
    } catch {
      parts = [['error', trace]];
    }
    return parts.map(([key, text]) => el('div', { class: 'trace' }, el('strong', {}, key), el('pre', {}, text)));
  }

  function unitsFilters(units) {
    const distinct = (values) => [...new Set(values)].sort();
    const select = (key, label, values) =>
      el(
        'label',
        {},
        `${label} `,
        el(
          'select',
          { 'data-filter': key },
          el('option', { value: '' }, 'all'),
          values.map((value) => el('option', { value, selected: state.filters[key] === value }, value)),
        ),
      );
    const filters = el(
      'form',
      { class: 'filters', role: 'search', 'aria-label': 'Filter change units' },
      select('state', 'State', ['executed', 'pending', 'failed', 'rolled-back', 'changed']),
      select('profile', 'Profile', distinct(units.flatMap((unit) => (unit.profiles.length ? unit.profiles : ['default'])))),
      select('version', 'System version', distinct(units.map((unit) => unit.systemVersion))),
    );
    filters.addEventListener('submit', (event) => event.preventDefault());
    return filters;
  }

  function matches(unit) {
    const { filters } = state;
    if (filters.state === 'changed' ? !unit.changed : filters.state && unit.state !== filters.state) return false;
    if (filters.profile && !(unit.profiles.length ? unit.profiles : ['default']).includes(filters.profile)) return false;
    return !filters.version || unit.systemVersion === filters.version;
  }

  function unitsView(db) {
    if (db.units.length === 0) return empty('No change units found.', 'Check migrationScanPath, the active profiles and the system-version window.');
    const filters = unitsFilters(db.units);
    const results = el('div', {}, unitsTable(db.units));
    // Filtering redraws the table only: focus stays on the filter being changed.
    filters.addEventListener('change', (event) => {
      state.filters[event.target.getAttribute('data-filter')] = event.target.value;
      results.replaceChildren(unitsTable(db.units));
    });
    return el('div', {}, filters, results);
  }

  /** What a person may record about a unit, as `mongock mark` allows it: applied unless executed; rolled back when executed or failed. */
  function markResolutions(unit) {
    if (unit.state === 'executed') return ['rolled-back'];
    const failedUnrolled = unit.state === 'failed' && unit.lastError && unit.lastError.state !== 'ROLLED_BACK';
    return failedUnrolled ? ['applied', 'rolled-back'] : ['applied'];
  }

  function markButtons(unit) {
    return markResolutions(unit).map((resolution) => {
      const label = resolution === 'applied' ? 'Mark applied' : 'Mark rolled back';
      const button = el(
        'button',
        {
          type: 'button',
          class: 'danger',
          'data-key': `mark-${resolution}-${unit.changeId}`,
          'data-mark': resolution,
          'aria-label': `${label}: ${unit.changeId}`,
        },
        label,
      );
      button.addEventListener('click', () => markUnit(unit, resolution));
      return button;
    });
  }

  async function markUnit(unit, resolution) {
    const db = route().database || state.overview.databases[0].name;
    const what =
      resolution === 'applied'
        ? 'its effects are in the database (recorded EXECUTED)'
        : 'its effects are undone (recorded ROLLED_BACK; the next migration runs it again)';
    const reason = window.prompt(`Mark '${unit.changeId}' by ${unit.author} in ${db}: ${what}.\nWhy? (kept in the history)`);
    if (reason === null || reason.trim() === '') return setStatus('Nothing marked: a reason is needed.');
    try {
      const result = await api(`api/databases/${encodeURIComponent(db)}/mark`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ changeId: unit.changeId, author: unit.author, resolution, reason }),
      });
      setStatus(result.marked.length > 0 ? `Marked ${result.marked.map((item) => item.changeId).join(', ')} ${resolution}.` : 'Nothing was marked.');
    } catch (error) {
      setStatus(`Mark failed: ${error.message}`, true);
    }
    render();
  }

  /** A batched unit's progress from its checkpoint: "in progress 41% (410 / 1,000), last key 409". */
  function batchNote(batch) {
    if (!batch) return null;
    const count = (n) => n.toLocaleString('en');
    const share = batch.estimatedTotal ? ` ${Math.min(100, Math.floor((batch.processed / batch.estimatedTotal) * 100))}%` : '';
    const total = batch.estimatedTotal === null ? '' : ` / ${count(batch.estimatedTotal)}`;
    const what = batch.inProgress ? `${batch.direction === 'rollback' ? 'rollback ' : ''}in progress${share}` : 'batched';
    const key = batch.lastKey === null ? '' : `, last key ${batch.lastKey}`;
    return el(
      'small',
      {
        class: batch.inProgress ? 'batch in-progress' : 'batch',
        'data-batch': batch.inProgress ? 'in-progress' : 'done',
        title: `checkpoint of execution ${batch.executionId}, ${batch.updatedAt}`,
      },
      ` ${what} (${count(batch.processed)}${total}) in ${count(batch.batches)} batch${batch.batches === 1 ? '' : 'es'}${key}`,
    );
  }

  function unitsTable(units) {
    const actions = state.overview.actions.mark;
    const shown = units.filter(matches);
    const rows = shown.flatMap((unit) => {
      const checksum = unit.changed
        ? el('span', { class: 'state-changed', title: `recorded ${unit.recordedChecksum}, now ${unit.checksum}` }, 'changed since executed')
        : el('code', { title: unit.checksum }, unit.checksum.slice(0, 12));
      const row = el(
        'tr',
        { 'data-unit': unit.changeId, 'data-state': unit.state },
        el('td', {}, unit.order),
        el('th', { scope: 'row' }, el('code', {}, unit.changeId)),
        el('td', {}, unit.author),
        el(
          'td',
          {},
          badge(unit.state),
          batchNote(unit.batch),
          unit.manual && el('small', { class: 'manual', title: unit.manual.reason || '' }, ` marked ${unit.manual.resolution} by ${unit.manual.by}`),
        ),
        el('td', {}, formatTime(unit.executedAt)),
        el('td', { class: 'number' }, formatDuration(unit.executionMillis)),
        el('td', {}, checksum),
        el('td', {}, unit.systemVersion),
        el('td', {}, unit.profiles.join(', ') || 'default'),
        actions ? el('td', {}, markButtons(unit)) : null,
      );
      if (unit.lastError === null) return [row];
      const details = el(
        'details',
        { open: unit.state === 'failed' },
        el('summary', {}, `${unit.lastError.state} at `, formatTime(unit.lastError.at), ` (execution ${unit.lastError.executionId}): error trace`),
        traceView(unit.lastError.trace),
      );
      return [row, el('tr', { class: 'trace-row', 'data-trace-for': unit.changeId }, el('td', { colspan: actions ? 10 : 9 }, details))];
    });
    return shown.length === 0
      ? empty('No change unit matches these filters.', 'Choose "all" in a filter to see more.')
      : table(
          `${shown.length} of ${units.length} change unit(s), in order`,
          ['Order', 'Change', 'Author', 'State', 'Executed at', 'Duration', 'Checksum', 'Version', 'Profiles', actions && 'Mark'].filter(Boolean),
          rows,
        );
  }

  function lockFacts(lock) {
    if (lock === null) return el('p', { 'data-lock': 'free' }, badge('free'), ' Nobody holds the lock.');
    const progress = lock.inProgress;
    const facts = [
      ['Holder', el('code', {}, lock.owner)],
      ['Host', lock.hostname],
      ['Since', formatTime(lock.acquiredAt)],
      ['Held for', formatDuration(lock.heldForMs)],
      ['Expires', lock.expiresAt === null ? 'with its session (does not expire)' : formatTime(lock.expiresAt)],
      [
        'In-progress change',
        progress === null
          ? 'none recorded'
          : `${progress.changeId} by ${progress.author} (execution ${progress.executionId}, started ${new Date(progress.startedAt).toLocaleString()})`,
      ],
    ];
    return el(
      'div',
      { 'data-lock': 'held' },
      el('p', {}, badge(lock.expired ? 'failed' : 'held', lock.expired ? 'expired' : 'held')),
      el(
        'dl',
        { class: 'facts' },
        facts.map(([label, value]) => [el('dt', {}, label), el('dd', { 'data-fact': label.toLowerCase() }, value)]),
      ),
    );
  }

  function lockView(db, lock) {
    const panel = el(
      'section',
      { class: 'panel', 'aria-labelledby': 'lock-title', 'aria-live': 'polite' },
      el('h2', { id: 'lock-title' }, 'Lock'),
      lockFacts(lock),
    );
    if (lock !== null && state.overview.actions.unlock) {
      const button = el('button', { type: 'button', class: 'danger', 'data-key': 'unlock' }, 'Unlock now');
      button.addEventListener('click', async () => {
        if (!window.confirm(`Clear the lock of ${db} held by ${lock.owner}? Do this only when that process is gone.`)) return;
        try {
          const result = await api(`api/databases/${encodeURIComponent(db)}/unlock`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
            body: '{}',
          });
          setStatus(result.released ? 'Lock released.' : 'Nothing was released.');
        } catch (error) {
          setStatus(`Unlock failed: ${error.message}`, true);
        }
        render();
      });
      panel.append(el('p', {}, button));
    }
    panel.append(el('p', { class: 'live' }, `Refreshed every ${state.overview.refreshMs / 1000} s.`));
    return panel;
  }

  function durationsView(db) {
    const points = db.durations;
    if (points.length === 0) return empty('No durations yet.', 'Executed change units appear here once a migration has run.');
    const width = 960;
    const height = 360;
    const pad = { left: 64, right: 16, top: 16, bottom: 40 };
    const times = points.map((point) => Date.parse(point.at));
    const minT = Math.min(...times);
    const maxT = Math.max(...times);
    const maxY = Math.max(1, ...points.map((point) => point.durationMs));
    const x = (t) => pad.left + (maxT === minT ? (width - pad.left - pad.right) / 2 : ((t - minT) / (maxT - minT)) * (width - pad.left - pad.right));
    const y = (ms) => height - pad.bottom - (ms / maxY) * (height - pad.top - pad.bottom);
    const ids = [...new Set(points.map((point) => point.changeId))];
    const color = (id) => SERIES_COLORS[ids.indexOf(id) % SERIES_COLORS.length];
    const chart = svg('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-labelledby': 'chart-title' });
    chart.append(svg('title', { id: 'chart-title' }, `Durations of ${points.length} executed change unit(s) over time`));
    for (let i = 0; i <= 4; i++) {
      const ms = (maxY * i) / 4;
      chart.append(svg('line', { class: 'grid', x1: pad.left, x2: width - pad.right, y1: y(ms), y2: y(ms) }));
      chart.append(svg('text', { x: pad.left - 8, y: y(ms) + 4, 'text-anchor': 'end' }, formatDuration(ms)));
    }
    chart.append(svg('line', { class: 'axis', x1: pad.left, x2: width - pad.right, y1: height - pad.bottom, y2: height - pad.bottom }));
    chart.append(svg('line', { class: 'axis', x1: pad.left, x2: pad.left, y1: pad.top, y2: height - pad.bottom }));
    const ticks =
      maxT === minT
        ? [[minT, 'middle']]
        : [
            [minT, 'start'],
            [(minT + maxT) / 2, 'middle'],
            [maxT, 'end'],
          ];
    const sameDay = new Date(minT).toDateString() === new Date(maxT).toDateString();
    const tickLabel = (t) => (sameDay ? new Date(t).toLocaleTimeString() : new Date(t).toLocaleString());
    for (const [t, anchor] of ticks) chart.append(svg('text', { x: x(t), y: height - pad.bottom + 20, 'text-anchor': anchor }, tickLabel(t)));
    for (const id of ids) {
      const series = points.filter((point) => point.changeId === id);
      if (series.length > 1)
        chart.append(svg('polyline', { class: 'line', stroke: color(id), points: series.map((p) => `${x(Date.parse(p.at))},${y(p.durationMs)}`).join(' ') }));
    }
    for (const point of points) {
      const dot = svg('circle', {
        cx: x(Date.parse(point.at)),
        cy: y(point.durationMs),
        r: 5,
        fill: color(point.changeId),
        tabindex: 0,
        'data-unit': point.changeId,
      });
      dot.append(
        svg('title', {}, `${point.changeId}: ${formatDuration(point.durationMs)} at ${new Date(point.at).toLocaleString()} (execution ${point.executionId})`),
      );
      chart.append(dot);
    }
    const legend = el(
      'ul',
      { class: 'legend', 'aria-label': 'Change units' },
      ids.map((id) => el('li', {}, svgSwatch(color(id)), id)),
    );
    return el('figure', {}, chart, legend, el('figcaption', { class: 'live' }, 'Each dot is one execution of a change unit; focus a dot (Tab) to read it.'));
  }

  function svgSwatch(fill) {
    const swatch = svg('svg', { width: 10, height: 10, viewBox: '0 0 10 10', 'aria-hidden': 'true', class: 'swatch' });
    swatch.append(svg('circle', { cx: 5, cy: 5, r: 5, fill }));
    return swatch;
  }

  // ---- wiring --------------------------------------------------------------------------------

  function updateChrome(page, database) {
    for (const anchor of document.querySelectorAll('nav a[data-page]')) {
      const target = anchor.getAttribute('data-page');
      anchor.setAttribute('href', link(target, target === 'overview' ? undefined : database));
      if (target === page) anchor.setAttribute('aria-current', 'page');
      else anchor.removeAttribute('aria-current');
    }
    const picker = $('database');
    picker.replaceChildren(...state.overview.databases.map((db) => el('option', { value: db.name, selected: db.name === database }, db.name)));
    picker.closest('label').hidden = page === 'overview' || state.overview.databases.length < 2;
    $('title').textContent = page === 'overview' ? 'Overview' : `${TITLES[page]}: ${database}`;
    document.title = `${TITLES[page]} · Mongock dashboard`;
    $('mode').textContent = state.overview.actions.unlock
      ? 'Actions enabled: the lock can be cleared and units marked from this page (each recorded).'
      : 'Read-only: nothing on this page changes the databases.';
  }

  async function render() {
    clearTimeout(state.timer);
    const { page } = route();
    try {
      state.overview = await api('api/overview');
      const names = state.overview.databases.map((db) => db.name);
      const database = route().database && names.includes(route().database) ? route().database : names[0];
      updateChrome(page, database);
      let view;
      if (page === 'overview') view = overviewView(state.overview);
      else if (database === undefined) view = empty('No database configured.', 'Give the dashboard a configuration with a driver.');
      else if (page === 'lock') view = lockView(database, (await api(`api/databases/${encodeURIComponent(database)}/lock`)).lock);
      else {
        const db = await api(`api/databases/${encodeURIComponent(database)}`);
        view = page === 'executions' ? executionsView(db) : page === 'units' ? unitsView(db) : durationsView(db);
      }
      // A live refresh must not take the keyboard focus away from where the user is.
      const focused = document.activeElement && $('view').contains(document.activeElement) ? document.activeElement.getAttribute('data-key') : null;
      $('view').replaceChildren(view);
      const again = focused && $('view').querySelector(`[data-key="${focused}"]`);
      if (again) again.focus();
      setStatus(`Updated ${new Date().toLocaleTimeString()}.`);
      document.body.setAttribute('data-ready', page);
    } catch (error) {
      setStatus(`Could not load: ${error.message}`, true);
    }
    if (page === 'lock' || page === 'overview') state.timer = setTimeout(render, state.overview ? state.overview.refreshMs : 2000);
  }

  $('database').addEventListener('change', (event) => {
    location.hash = link(route().page, event.target.value);
  });
  window.addEventListener('hashchange', () => {
    render().then(() => $('main').focus({ preventScroll: true }));
  });
  render();
})();
