package io.metalr.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;

import io.metalr.data.Batch;
import io.metalr.data.BatchOrder;
import io.metalr.data.ImageSet;
import io.metalr.data.SyntheticImages;
import io.metalr.groups.LayerGroups;
import io.metalr.meta.MetaLrSettings;
import io.metalr.model.Models;
import io.metalr.nn.Network;
import io.metalr.nn.Weights;
import io.metalr.optim.Adam;
import io.metalr.train.StrategyPlan;
import io.metalr.train.TrainStep;
import io.metalr.udf.image.Augmenter;
import io.metalr.udf.image.Image;
import io.metalr.udf.image.ImageDecoder;
import io.metalr.udf.image.Preprocessor;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * {@code submit/bench.sh data}: images per second through the data path (PNG decode, preprocess,
 * augment) on one thread, against images per second of a plain training step of the small
 * network at 28 px, batch 64, in the same JVM. The data path must never be the bottleneck.
 */
public final class DataBenchmark {

    public static void main(String[] args) throws Exception {
        ImageSet source = SyntheticImages.generate("stripes", 4, 2048, 1, 28, 9);
        List<byte[]> pngs = encode(source);
        Preprocessor pre = Preprocessor.of(28, 28, 1, 0.5f, 0.5f);
        Augmenter aug = Augmenter.defaults();
        float[] out = new float[28 * 28];
        // warm up, then time whole passes for at least two seconds
        decodeAll(pngs, pre, aug, out, 0);
        long t0 = System.nanoTime();
        long images = 0;
        int epoch = 1;
        while (System.nanoTime() - t0 < 2_000_000_000L) {
            images += decodeAll(pngs, pre, aug, out, epoch++);
        }
        double decodePerSec = images / ((System.nanoTime() - t0) / 1e9);
        BenchOutput.emit(line("decode_augment", Map.of("images", images, "images_per_s", BenchOutput.round(decodePerSec), "threads", 1,
                "png_bytes_mean", pngs.stream().mapToInt(b -> b.length).average().orElse(0))));

        double trainPerSec = trainImagesPerSecond(source);
        BenchOutput.emit(line("train_step", Map.of("model", "small_resnet", "batch", 64, "images_per_s", BenchOutput.round(trainPerSec))));
        Map<String, Object> summary = BenchOutput.summary("data");
        summary.put("decode_images_per_s", BenchOutput.round(decodePerSec));
        summary.put("train_images_per_s", BenchOutput.round(trainPerSec));
        summary.put("decode_over_train", BenchOutput.round(decodePerSec / trainPerSec));
        BenchOutput.emit(summary);
    }

    private static long decodeAll(List<byte[]> pngs, Preprocessor pre, Augmenter aug, float[] out, int epoch) {
        for (int i = 0; i < pngs.size(); i++) {
            Image img = pre.apply(ImageDecoder.decode(pngs.get(i), "bench[" + i + "]"), "bench[" + i + "]");
            aug.apply(img.data(), 1, 28, 28, out, 0, 7, epoch, i);
        }
        return pngs.size();
    }

    /** Plain (full fine-tuning) steps of the small network, median of 30 after 10 warm-up steps. */
    private static double trainImagesPerSecond(ImageSet data) {
        Network net = Models.create("small_resnet", 1, 4);
        LayerGroups groups = LayerGroups.auto(net);
        StrategyPlan plain = StrategyPlan.of("full", groups, new StrategyPlan.Options(1e-3, 0.1, 2, 0.8, 0));
        double[] ms = new double[30];
        try (Weights w = Weights.initialize(net, 1, Device.cpu());
                Adam adam = new Adam(w.manager(), 0.9, 0.999, 1e-8, 1e-4, false);
                TrainStep step = new TrainStep(w, groups, adam, MetaLrSettings.paper(), plain, false)) {
            for (int s = 0; s < 40; s++) {
                long t = System.nanoTime();
                try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
                    Batch b = data.batch(m, BatchOrder.metaBatch(data.size(), 64, 3, 0, s));
                    step.run(b, null, 0, s);
                }
                if (s >= 10) {
                    ms[s - 10] = (System.nanoTime() - t) / 1e6;
                }
            }
        }
        Arrays.sort(ms);
        return 64 / ((ms[14] + ms[15]) / 2 / 1000);
    }

    /** 8-bit grayscale PNGs of the images, as a folder or table of scans would hold them. */
    private static List<byte[]> encode(ImageSet set) throws IOException {
        List<byte[]> out = new ArrayList<>();
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            for (int i = 0; i < set.size(); i++) {
                float[] px = set.batch(m, new int[] {i}).x().toFloatArray();
                BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
                for (int y = 0; y < 28; y++) {
                    for (int x = 0; x < 28; x++) {
                        int v = (int) Math.max(0, Math.min(255, Math.round((px[y * 28 + x] + 1.5) / 3.0 * 255)));
                        img.getRaster().setSample(x, y, 0, v);
                    }
                }
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                ImageIO.write(img, "png", b);
                out.add(b.toByteArray());
            }
        }
        return out;
    }

    private static Map<String, Object> line(String kind, Map<String, Object> values) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("bench", "data");
        m.put("case", kind);
        m.putAll(values);
        return m;
    }


}
