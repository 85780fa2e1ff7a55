package io.metalr.groups;

import io.metalr.nn.Network;
import io.metalr.nn.ParamSpec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The partition of a network's trainable parameters into layer groups, each with its own learning
 * rate. Every trainable parameter is in exactly one group; groups are ordered input to output, so
 * the last one is the head.
 */
public final class LayerGroups {

    /** A group: its display name and its parameters in state-dict order. */
    public record Group(String name, List<String> params, long size) {}

    private static final Pattern BLOCK = Pattern.compile("^(layer\\d+\\.\\d+)\\.");
    private static final Pattern NUMBERED_MODULE = Pattern.compile("^[a-z_]+?(\\d+)\\.");

    private final List<Group> groups;
    private final Map<String, Integer> groupOf;

    private LayerGroups(List<Group> groups) {
        this.groups = List.copyOf(groups);
        Map<String, Integer> index = new LinkedHashMap<>();
        for (int g = 0; g < groups.size(); g++) {
            for (String p : groups.get(g).params()) {
                index.put(p, g);
            }
        }
        this.groupOf = index;
    }

    /**
     * The paper's grouping: the stem, each residual block, the head (ResNet-18: 10 groups). For
     * plain CNNs, modules sharing a number ({@code conv2} and {@code bn2}) form one group.
     */
    public static LayerGroups auto(Network net) {
        LinkedHashMap<String, List<String>> byKey = new LinkedHashMap<>();
        LinkedHashMap<String, Long> sizes = new LinkedHashMap<>();
        for (ParamSpec spec : net.params()) {
            if (!spec.trainable()) {
                continue;
            }
            String key = autoKey(net, spec.name());
            byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(spec.name());
            sizes.merge(key, spec.size(), Long::sum);
        }
        List<Group> out = new ArrayList<>();
        List<String> keys = new ArrayList<>(byKey.keySet());
        // the head goes last whatever the declaration order
        keys.sort((a, b) -> Boolean.compare(a.equals("head"), b.equals("head")));
        for (String k : keys) {
            out.add(new Group(k, byKey.get(k), sizes.get(k)));
        }
        return new LayerGroups(out);
    }

    private static String autoKey(Network net, String param) {
        if (param.startsWith(net.headPrefix())) {
            return "head";
        }
        Matcher block = BLOCK.matcher(param);
        if (block.find()) {
            return block.group(1);
        }
        Matcher numbered = NUMBERED_MODULE.matcher(param);
        if (numbered.find()) {
            return numbered.group(1).equals("1") ? "stem" : "module" + numbered.group(1);
        }
        throw new IllegalArgumentException(
                "groups.mode = auto cannot place parameter " + param + " of " + net.name()
                        + "; give groups.patterns explicitly");
    }

    /**
     * Explicit grouping: group i holds the trainable parameters whose name matches regex i
     * ({@link Matcher#find()}). A parameter matched by no pattern, or by two, is an error naming it.
     */
    public static LayerGroups fromPatterns(Network net, List<String> regexes) {
        if (regexes.isEmpty()) {
            throw new IllegalArgumentException("groups.patterns is empty");
        }
        List<Pattern> patterns = new ArrayList<>();
        for (String r : regexes) {
            patterns.add(Pattern.compile(r));
        }
        List<List<String>> members = new ArrayList<>();
        long[] sizes = new long[patterns.size()];
        patterns.forEach(p -> members.add(new ArrayList<>()));
        for (ParamSpec spec : net.params()) {
            if (!spec.trainable()) {
                continue;
            }
            int found = -1;
            for (int g = 0; g < patterns.size(); g++) {
                if (patterns.get(g).matcher(spec.name()).find()) {
                    if (found >= 0) {
                        throw new IllegalArgumentException(
                                "parameter " + spec.name() + " matches two group patterns: '"
                                        + regexes.get(found) + "' and '" + regexes.get(g) + "'");
                    }
                    found = g;
                }
            }
            if (found < 0) {
                throw new IllegalArgumentException(
                        "parameter " + spec.name() + " matches no group pattern " + regexes);
            }
            members.get(found).add(spec.name());
            sizes[found] += spec.size();
        }
        List<Group> out = new ArrayList<>();
        for (int g = 0; g < patterns.size(); g++) {
            if (members.get(g).isEmpty()) {
                throw new IllegalArgumentException(
                        "group pattern '" + regexes.get(g) + "' matches no parameter of " + net.name());
            }
            out.add(new Group("group" + g, members.get(g), sizes[g]));
        }
        return new LayerGroups(out);
    }

    public int size() {
        return groups.size();
    }

    public Group get(int g) {
        return groups.get(g);
    }

    /** The groups' names, in order. */
    public List<String> names() {
        return all().stream().map(Group::name).toList();
    }

    public List<Group> all() {
        return groups;
    }

    public int headIndex() {
        return groups.size() - 1;
    }

    /** The group of a trainable parameter. */
    public int groupOf(String param) {
        Integer g = groupOf.get(param);
        if (g == null) {
            throw new IllegalArgumentException("parameter " + param + " is in no layer group");
        }
        return g;
    }

    /** The table printed at start: group, parameter count, initial LR. */
    public String table(double[] lr, boolean[] trainable) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-3s %-16s %12s %12s  %s%n", "#", "group", "parameters", "initial lr", "trained"));
        long total = 0;
        for (int g = 0; g < groups.size(); g++) {
            Group grp = groups.get(g);
            total += grp.size();
            sb.append(String.format(Locale.ROOT, "%-3d %-16s %12d %12.3g  %s%n",
                    g, grp.name(), grp.size(), lr[g], trainable[g] ? "yes" : "frozen"));
        }
        sb.append(String.format(Locale.ROOT, "    %-16s %12d%n", "total", total));
        return sb.toString();
    }
}
