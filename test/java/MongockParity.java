// Answers questions about Java Mongock 5.5.1 and maven-artifact 3.6.1 from their real classes,
// one per stdin line, one answer per stdout line, so that one JVM serves a whole parity test.
// Strings travel as 'x' followed by 4 hex digits per UTF-16 code unit (any string, lone
// surrogates included). It lives in Mongock's package to reach its package-private comparators.
package io.mongock.runner.core.executor.changelog;

import io.mongock.runner.core.internal.ChangeLogItem;
import io.mongock.runner.core.internal.ChangeSetItem;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.TreeSet;
import org.apache.maven.artifact.versioning.ComparableVersion;
import org.apache.maven.artifact.versioning.DefaultArtifactVersion;

public final class MongockParity {
  /** Classes whose canonical names stand for unit classes (ties between orders). */
  static final Class<?>[] CLASSES = {
    java.lang.String.class, java.lang.Integer.class, java.util.ArrayList.class, java.util.Map.Entry.class,
    java.util.AbstractMap.SimpleEntry.class, java.lang.Thread.State.class, java.util.List.class, java.lang.Object.class,
    java.util.HashMap.class, java.lang.Long.class, java.util.Map.class, java.lang.Character.UnicodeBlock.class,
  };

  private static final Method ANY_METHOD;
  private static final Method IS_WITHIN_VERSION;

  static {
    try {
      ANY_METHOD = Object.class.getMethod("toString");
      IS_WITHIN_VERSION = ChangeLogServiceBase.class.getDeclaredMethod("isWithinVersion", String.class);
      IS_WITHIN_VERSION.setAccessible(true);
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException(e);
    }
  }

  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII), 1 << 16);
    BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.US_ASCII), 1 << 16);
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      out.write(answer(line.split(" ", -1)));
      out.write('\n');
    }
    out.flush();
  }

  static String answer(String[] f) throws Exception {
    switch (f[0]) {
      case "classes": { // the canonical names of CLASSES, in order
        StringBuilder names = new StringBuilder();
        for (Class<?> type : CLASSES) names.append(names.length() == 0 ? "" : " ").append(encode(type.getCanonicalName()));
        return names.toString();
      }
      case "version": // new DefaultArtifactVersion(a).compareTo(new DefaultArtifactVersion(b)), as a sign
        return sign(new DefaultArtifactVersion(decode(f[1])).compareTo(new DefaultArtifactVersion(decode(f[2]))));
      case "canonical": // new ComparableVersion(v).getCanonical()
        return encode(new ComparableVersion(decode(f[1])).getCanonical());
      case "window": { // ChangeLogServiceBase#isWithinVersion(version) with start and end set
        ChangeLogService service = new ChangeLogService();
        service.setStartSystemVersion(decode(f[2]));
        service.setEndSystemVersion(decode(f[3]));
        return String.valueOf(IS_WITHIN_VERSION.invoke(service, decode(f[1])));
      }
      case "changelog": // ChangeLogComparator on two user units: order, class index
        return sign(new ChangeLogComparator().compare(unit(decode(f[1]), Integer.parseInt(f[2])), unit(decode(f[3]), Integer.parseInt(f[4]))));
      case "changeset": // ChangeSetComparator on two change sets' orders
        return sign(new ChangeSetComparator<ChangeSetItem>().compare(changeSet("a", decode(f[1])), changeSet("b", decode(f[2]))));
      case "plan":
        return plan(f);
      default:
        throw new IllegalArgumentException("unknown question " + f[0]);
    }
  }

  /**
   * The run order Mongock gives a set of units: ChangeLogItems in a TreeSet with
   * ChangeLogComparator (ChangeLogServiceBase#fetchChangeLogs), change sets of a legacy ChangeLog
   * sorted with ChangeSetComparator (#fetchChangeSetMethodsSorted). Input after "plan":
   * per unit "u <order> <class>" (a ChangeUnit) or "l <order> <class> <n> (<id> <order>)×n"
   * (a ChangeLog); output: the ids in run order.
   */
  static String plan(String[] f) {
    TreeSet<ChangeLogItem> units = new TreeSet<>(new ChangeLogComparator());
    int i = 1;
    while (i < f.length) {
      String kind = f[i];
      String order = decode(f[i + 1]);
      Class<?> type = CLASSES[Integer.parseInt(f[i + 2])];
      i += 3;
      if (kind.equals("u")) {
        units.add(ChangeLogItem.getFromAnnotation(type, type.getCanonicalName(), "dev", order, true, true, false, "0", ANY_METHOD, ANY_METHOD, null, null, false));
      } else {
        int count = Integer.parseInt(f[i++]);
        List<ChangeSetItem> sets = new ArrayList<>();
        for (int k = 0; k < count; k++, i += 2) sets.add(changeSet(decode(f[i]), decode(f[i + 1])));
        sets.sort(new ChangeSetComparator<>());
        units.add(ChangeLogItem.getFromLegacy(type, order, true, sets, false));
      }
    }
    StringBuilder ids = new StringBuilder();
    for (ChangeLogItem unit : units)
      for (ChangeSetItem item : unit.getAllChangeItems()) ids.append(ids.length() == 0 ? "" : " ").append(encode(item.getId()));
    return ids.toString();
  }

  static ChangeLogItem unit(String order, int type) {
    return ChangeLogItem.getFromLegacy(CLASSES[type], order, true, Collections.emptyList(), false);
  }

  static ChangeSetItem changeSet(String id, String order) {
    return new ChangeSetItem(id, "dev", order, false, "0", true, ANY_METHOD, null, false);
  }

  static String sign(int comparison) {
    return comparison < 0 ? "-1" : comparison > 0 ? "1" : "0";
  }

  static String decode(String text) {
    char[] chars = new char[(text.length() - 1) / 4];
    for (int i = 0; i < chars.length; i++) chars[i] = (char) Integer.parseInt(text.substring(1 + 4 * i, 5 + 4 * i), 16);
    return new String(chars);
  }

  static String encode(String text) {
    StringBuilder hex = new StringBuilder(1 + 4 * text.length()).append('x');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      for (int shift = 12; shift >= 0; shift -= 4) hex.append(Character.forDigit((c >> shift) & 0xf, 16));
    }
    return hex.toString();
  }
}
