package io.metalr.report;

import io.metalr.train.Trainer;

import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;

/**
 * The run directory's charts as PNG bytes, all {@value #WIDTH}x{@value #HEIGHT}: the learning rate
 * of every layer group per step on a log axis (the paper's figure), the training loss, and the
 * per-epoch accuracy. Drawn headless; the same log gives the same image.
 */
public final class RunCharts {

    public static final int WIDTH = 900;
    public static final int HEIGHT = 500;
    /** Longer runs are thinned to about this many points per line: a 900-px chart shows no more. */
    static final int MAX_POINTS = 2000;

    static {
        // a driver on a cluster node has no display; AWT must not look for one
        System.setProperty("java.awt.headless", "true");
    }

    /** Ten distinct colours (matplotlib's "tab10", its gray replaced by a dark indigo). */
    private static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd),
        new Color(0x8c564b), new Color(0xe377c2), new Color(0x393b79), new Color(0xbcbd22), new Color(0x17becf),
    };

    private RunCharts() {}

    /** {@value RunDirectory#LR_CHART}: x = step, y = learning rate (log), one line per group. */
    public static byte[] learningRates(MetricsLog log) throws IOException {
        List<String> groups = log.groups();
        int n = log.stepCount();
        long[] steps = new long[n];
        double[][] rates = new double[groups.size()][n];
        for (int i = 0; i < n; i++) {
            steps[i] = log.step(i);
            for (int g = 0; g < groups.size(); g++) {
                rates[g][i] = log.lr(i, g);
            }
        }
        return learningRates("Learning rate per layer group", groups, steps, rates);
    }

    /**
     * The learning-rate chart of any rates: x = step, y = learning rate (log), one line per group.
     *
     * @param rates per group, the rate at each of {@code steps}
     */
    public static byte[] learningRates(String title, List<String> groups, long[] steps, double[][] rates) throws IOException {
        XYSeriesCollection data = new XYSeriesCollection();
        double lo = Double.POSITIVE_INFINITY;
        double hi = 0;
        int n = steps.length;
        int stride = stride(n);
        for (int g = 0; g < groups.size(); g++) {
            boolean shown = false;
            for (int i = 0; i < n && !shown; i++) {
                shown = visible(rates[g][i]);
            }
            // a log axis cannot show a frozen group's rate of 0: the legend says so instead
            XYSeries s = new XYSeries(shown ? groups.get(g) : groups.get(g) + " (lr 0, frozen)", false, true);
            for (int i = 0; i < n; i++) {
                double v = rates[g][i];
                if ((i % stride == 0 || i == n - 1) && visible(v)) {
                    s.add(steps[i], v);
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
            data.addSeries(s);
        }
        JFreeChart chart = lineChart(title, "step", data);
        LogAxis y = new LogAxis("learning rate (log scale)");
        y.setSmallestValue(1e-30);
        y.setMinorTickMarksVisible(true);
        y.setMinorTickCount(9);
        if (hi > 0) {
            // whole decades, one label each (10^-3, 10^-2, ...), at least one decade above and below
            double low = Math.floor(Math.log10(lo));
            double high = Math.ceil(Math.log10(hi));
            if (high - low < 2) {
                low = Math.min(low, Math.floor(Math.log10(lo) - 0.5));
                high = Math.max(high, Math.ceil(Math.log10(hi) + 0.5));
            }
            y.setRange(Math.pow(10, low), Math.pow(10, high));
            y.setTickUnit(new NumberTickUnit(1));
        }
        chart.getXYPlot().setRangeAxis(y);
        return png(chart, RunDirectory.LR_CHART);
    }

    /** {@value RunDirectory#LOSS_CHART}: training loss per step (raw and smoothed), train and validation loss per epoch. */
    public static byte[] loss(MetricsLog log) throws IOException {
        int n = log.stepCount();
        XYSeries raw = new XYSeries("train loss per step", false, true);
        int window = Math.max(5, n / 50);
        XYSeries smooth = new XYSeries("train loss, mean of " + window + " steps", false, true);
        int stride = stride(n);
        double sum = 0;
        int inWindow = 0;
        double[] recent = new double[window];
        for (int i = 0; i < n; i++) {
            double v = log.trainLoss(i);
            if (!Double.isFinite(v)) {
                continue;
            }
            // moving mean over the last `window` finite losses
            int slot = inWindow % window;
            sum += v - (inWindow >= window ? recent[slot] : 0);
            recent[slot] = v;
            inWindow++;
            if (i % stride == 0 || i == n - 1) {
                raw.add(log.step(i), v);
                smooth.add(log.step(i), sum / Math.min(inWindow, window));
            }
        }
        XYSeries trainEpoch = new XYSeries("train loss per epoch", false, true);
        XYSeries valEpoch = new XYSeries("validation loss per epoch", false, true);
        for (Trainer.EpochResult e : log.epochs()) {
            addFinite(trainEpoch, e.steps(), e.trainLoss());
            addFinite(valEpoch, e.steps(), e.val().loss());
        }
        XYSeriesCollection data = new XYSeriesCollection();
        data.addSeries(trainEpoch);
        data.addSeries(valEpoch);
        data.addSeries(raw);
        if (n >= 2 * window) {
            // a mean over a handful of steps says nothing a short run's raw line does not
            data.addSeries(smooth);
        }
        JFreeChart chart = lineChart("Loss", "step", data);
        XYLineAndShapeRenderer r = (XYLineAndShapeRenderer) chart.getXYPlot().getRenderer();
        r.setSeriesShapesVisible(0, true);
        r.setSeriesShapesVisible(1, true);
        r.setSeriesPaint(0, PALETTE[2]);
        r.setSeriesPaint(1, PALETTE[3]);
        r.setSeriesPaint(2, new Color(150, 180, 225));
        r.setSeriesStroke(2, new BasicStroke(1f));
        r.setSeriesPaint(3, PALETTE[0]);
        NumberAxis y = (NumberAxis) chart.getXYPlot().getRangeAxis();
        y.setLabel("cross-entropy");
        y.setAutoRangeIncludesZero(true);
        return png(chart, RunDirectory.LOSS_CHART);
    }

    /** {@value RunDirectory#ACCURACY_CHART}: per epoch, training and validation accuracy and validation AUC. */
    public static byte[] accuracy(MetricsLog log) throws IOException {
        XYSeries train = new XYSeries("train accuracy", false, true);
        XYSeries val = new XYSeries("validation accuracy", false, true);
        XYSeries auc = new XYSeries("validation AUC", false, true);
        for (Trainer.EpochResult e : log.epochs()) {
            addFinite(train, e.epoch() + 1, e.trainAccuracy());
            addFinite(val, e.epoch() + 1, e.val().accuracy());
            addFinite(auc, e.epoch() + 1, e.val().macroAuc());
        }
        XYSeriesCollection data = new XYSeriesCollection();
        data.addSeries(train);
        data.addSeries(val);
        data.addSeries(auc);
        JFreeChart chart = lineChart("Accuracy per epoch", "epoch", data);
        XYLineAndShapeRenderer r = (XYLineAndShapeRenderer) chart.getXYPlot().getRenderer();
        r.setDefaultShapesVisible(true);
        NumberAxis y = (NumberAxis) chart.getXYPlot().getRangeAxis();
        y.setLabel("accuracy / AUC");
        y.setRange(0, 1.02);
        return png(chart, RunDirectory.ACCURACY_CHART);
    }

    private static JFreeChart lineChart(String title, String xLabel, XYSeriesCollection data) {
        NumberAxis x = new NumberAxis(xLabel);
        x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        x.setAutoRangeIncludesZero(false);
        NumberAxis y = new NumberAxis();
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
        for (int i = 0; i < data.getSeriesCount(); i++) {
            renderer.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
            // past the palette, dashes tell the lines apart (ResNet-50 has more groups than colours)
            renderer.setSeriesStroke(i, i < PALETTE.length ? new BasicStroke(2f)
                    : new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
        }
        XYPlot plot = new XYPlot(data, x, y, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(220, 220, 220));
        plot.setRangeGridlinePaint(new Color(220, 220, 220));
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        LegendTitle legend = chart.getLegend();
        legend.setPosition(RectangleEdge.RIGHT);
        return chart;
    }

    private static boolean visible(double lr) {
        return lr > 0 && Double.isFinite(lr);
    }

    private static void addFinite(XYSeries s, double x, double y) {
        if (Double.isFinite(y)) {
            s.add(x, y);
        }
    }

    private static int stride(int n) {
        return Math.max(1, (n + MAX_POINTS - 1) / MAX_POINTS);
    }

    private static byte[] png(JFreeChart chart, String name) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
        try {
            ChartUtils.writeChartAsPNG(out, chart, WIDTH, HEIGHT);
        } catch (RuntimeException | LinkageError | InternalError e) {
            // what AWT throws when the machine has no font at all
            throw new IOException("cannot draw " + name + " (charts need a TrueType font; on Debian: apt-get install "
                    + "fonts-dejavu-core): " + e, e);
        }
        return out.toByteArray();
    }
}
