package io.metalr.study;

import io.metalr.data.read.DataPaths;
import io.metalr.report.RunDirectory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An arm's learning-rate curves, mean over its seeds: per layer group, the rate after each step,
 * read from each trial's run directory ({@value RunDirectory#LR_CSV}: {@code step,<groups...>}).
 * Seeds of one configuration take the same steps; should one have fewer, the curves stop at the
 * shortest. A step's mean is over the seeds with a value there.
 *
 * @param rates per group, the mean rate at each of {@code steps}
 */
public record LrCurves(List<String> groups, long[] steps, double[][] rates, int runs) {

    /** The mean of the {@value RunDirectory#LR_CSV} files of {@code runDirs} (at least one). */
    public static LrCurves mean(List<String> runDirs) throws IOException {
        if (runDirs.isEmpty()) {
            throw new IllegalArgumentException("no run directory to draw learning-rate curves from");
        }
        List<String> groups = null;
        List<long[]> stepsOf = new ArrayList<>();
        List<double[][]> ratesOf = new ArrayList<>();
        for (String dir : runDirs) {
            String file = DataPaths.resolve(dir, RunDirectory.LR_CSV);
            List<String> lines = new String(DataPaths.readAllBytes(file), StandardCharsets.UTF_8).lines()
                    .filter(l -> !l.isBlank()).toList();
            if (lines.isEmpty()) {
                throw new IOException(file + " is empty: no header step,<groups...>");
            }
            List<String> header = Arrays.asList(lines.get(0).split(",", -1));
            List<String> names = header.subList(1, header.size());
            if (groups == null) {
                groups = List.copyOf(names);
            } else if (!groups.equals(names)) {
                throw new IOException(file + " has groups " + names + ", another seed of the arm " + groups);
            }
            int n = lines.size() - 1;
            long[] steps = new long[n];
            double[][] rates = new double[groups.size()][n];
            for (int i = 0; i < n; i++) {
                String[] cells = lines.get(i + 1).split(",", -1);
                if (cells.length != header.size()) {
                    throw new IOException(file + " line " + (i + 2) + ": " + cells.length + " fields for " + header.size() + " columns");
                }
                steps[i] = Long.parseLong(cells[0]);
                for (int g = 0; g < groups.size(); g++) {
                    rates[g][i] = cells[g + 1].isEmpty() ? Double.NaN : Double.parseDouble(cells[g + 1]);
                }
            }
            stepsOf.add(steps);
            ratesOf.add(rates);
        }
        int n = stepsOf.stream().mapToInt(s -> s.length).min().orElse(0);
        double[][] mean = new double[groups.size()][n];
        for (int g = 0; g < groups.size(); g++) {
            for (int i = 0; i < n; i++) {
                double sum = 0;
                int count = 0;
                for (double[][] r : ratesOf) {
                    if (Double.isFinite(r[g][i])) {
                        sum += r[g][i];
                        count++;
                    }
                }
                mean[g][i] = count == 0 ? Double.NaN : sum / count;
            }
        }
        return new LrCurves(groups, Arrays.copyOf(stepsOf.get(0), n), mean, runDirs.size());
    }
}
