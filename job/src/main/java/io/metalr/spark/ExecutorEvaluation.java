package io.metalr.spark;

import io.metalr.data.Splits;
import io.metalr.eval.ClassificationMetrics;
import io.metalr.eval.ScoreRows;
import io.metalr.model.Models;
import io.metalr.nn.Network;
import io.metalr.nn.ParamSpec;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Evaluation where the images are, on the executors: the weights travel once (a broadcast), every
 * shard scores its images of the evaluated splits in batches ({@link ShardWorker#score}) and sends
 * back only the scores, and the driver computes the metrics over all of them in split order
 * ({@link ScoreRows#metrics}), so the AUC is exact. The one place a distributed run's validation
 * and test and {@code metalr evaluate} score their data.
 */
public final class ExecutorEvaluation {

    /** What a task needs to build the network and unpack the weights; small, it travels in the task. */
    record Model(String name, int inChannels, int numClasses, String device, FlatLayout layout) implements Serializable {
        Network network() {
            return Models.create(name, inChannels, numClasses);
        }
    }

    private ExecutorEvaluation() {}

    /** A model of {@code net}'s architecture, every tensor in its declared order, run on {@code device}. */
    static Model model(Network net, String device) {
        List<String> names = new ArrayList<>();
        Map<String, Integer> sizes = new LinkedHashMap<>();
        for (ParamSpec p : net.params()) {
            names.add(p.name());
            sizes.put(p.name(), Math.toIntExact(p.size()));
        }
        return new Model(net.name(), net.inChannels(), net.numClasses(), device, new FlatLayout(names, sizes));
    }

    /**
     * The metrics of {@code net} with {@code weights} over the images of {@code splits} taken as one
     * set, in the order given and, within a split, in index order (as {@code ImageSet.concat} of the
     * splits in a single process); each task scores in batches of {@code batchSize}; null when no
     * shard holds an image of them.
     *
     * @param device {@code device} of the config ({@link io.metalr.device.Devices#forCurrentTask})
     */
    public static ClassificationMetrics evaluate(JavaSparkContext sc, ShardPartitions data, Network net,
            Map<String, float[]> weights, String device, List<Integer> splits, int batchSize, Consumer<String> log) {
        return evaluate(sc, data, model(net, device), weights, splits, batchSize, log);
    }

    static ClassificationMetrics evaluate(JavaSparkContext sc, ShardPartitions data, Model model, Map<String, float[]> weights,
            List<Integer> splits, int batchSize, Consumer<String> log) {
        int[] wanted = splits.stream().filter(s -> data.of(s) != null).mapToInt(Integer::intValue).toArray();
        if (wanted.length == 0) {
            return null;
        }
        // a split's keys follow the images of the splits before it
        int[] offsets = new int[wanted.length];
        for (int i = 1; i < wanted.length; i++) {
            offsets[i] = offsets[i - 1] + data.of(wanted[i - 1]).total();
        }
        Broadcast<float[]> tensors = sc.broadcast(model.layout().pack(weights));
        try {
            for (int attempt = 0; ; attempt++) {
                List<ScoreRows[]> parts = data.run(shard -> ShardWorker.score(model, shard, wanted, tensors.value(), batchSize), null)
                        .collect();
                if (!parts.contains(null)) {
                    List<ScoreRows> all = new ArrayList<>();
                    for (ScoreRows[] p : parts) {
                        for (int i = 0; i < wanted.length; i++) {
                            all.add(p[i].shifted(offsets[i]));
                        }
                    }
                    return ScoreRows.metrics(all, model.numClasses());
                }
                if (attempt > 0 || !data.refresh(log)) {
                    throw new IllegalStateException("evaluating " + names(wanted) + ": a shard's stores are missing after a rebuild");
                }
            }
        } finally {
            tensors.destroy(false);
        }
    }

    private static String names(int[] splits) {
        List<String> out = new ArrayList<>();
        for (int s : splits) {
            out.add(Splits.NAMES.get(s));
        }
        return String.join("+", out);
    }
}
