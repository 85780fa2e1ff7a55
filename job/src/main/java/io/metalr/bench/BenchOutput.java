package io.metalr.bench;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.util.Arrays;
import java.util.Map;

/** What every benchmark shares: one JSON object per line on stdout, medians, rounding. */
final class BenchOutput {

    private static final ObjectMapper JSON = new ObjectMapper();

    private BenchOutput() {}

    static void emit(Map<String, Object> line) throws IOException {
        System.out.println(JSON.writeValueAsString(line));
        System.out.flush();
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
