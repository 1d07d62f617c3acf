import { startScript } from '../../support/processes.ts';

/**
 * Starts a Nest application script (its JSON spec as the argument) as its own OS process;
 * `listening` resolves with its URL once it prints "Listening on <url>", and rejects if it exits first.
 */
export function startListeningApp(script: string, spec: object) {
  const child = startScript(script, [JSON.stringify(spec)], { NO_COLOR: '1' });
  const listening = new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stdout!.on('data', (chunk) => {
      seen += chunk;
      const match = /Listening on (http:\/\/\S+)/.exec(seen);
      if (match) resolve(match[1]!.replace('[::1]', '127.0.0.1'));
    });
    void child.finished.then((done) => reject(new Error(`the app exited (${done.code ?? done.signal}) before listening:\n${done.stdout}${done.stderr}`)));
  });
  listening.catch(() => undefined);
  return { child, listening };
}
