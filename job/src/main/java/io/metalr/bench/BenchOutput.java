package io.metalr.bench;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.metalr.device.CpuQuirks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** What every benchmark shares: one JSON object per line on stdout, medians, rounding. */
final class BenchOutput {

    private static final ObjectMapper JSON = new ObjectMapper();

    private BenchOutput() {}

    static void emit(Map<String, Object> line) throws IOException {
        System.out.println(JSON.writeValueAsString(line));
        System.out.flush();
    }

    /**
     * The start of a summary line: the benchmark's name and the machine it measured, since figures
     * differ from one CPU type to the next (the CPU's model name, the cores, whether CpuQuirks applies).
     */
    static Map<String, Object> summary(String bench) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("bench", bench);
        s.put("summary", true);
        s.put("cpu", CpuQuirks.cpuModel());
        s.put("threads", Runtime.getRuntime().availableProcessors());
        s.put("cpu_quirks", CpuQuirks.apply().name().toLowerCase(Locale.ROOT));
        return s;
    }

    /** Minor page faults of this process so far (/proc/self/stat), or -1 where there is none. */
    static long minorFaults() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            // the fields after the command name, which may hold spaces, inside parentheses
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[7]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    static double median(double[] v) {
        double[] a = v.clone();
        Arrays.sort(a);
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    /** Three decimals: figures are read by people and compared by scripts. */
    static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
