package io.metalr.spark;

import io.metalr.data.Splits;
import io.metalr.device.Devices;
import io.metalr.eval.ClassificationMetrics;
import io.metalr.eval.ScoreRows;
import io.metalr.model.Models;
import io.metalr.nn.Autograd;
import io.metalr.nn.Network;
import io.metalr.nn.ParamSpec;
import io.metalr.nn.Weights;
import io.metalr.train.Evaluator;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Evaluation where the images are, on the executors: every shard scores its images of the
 * evaluated splits in batches ({@link #scores}) and sends back only the scores, and the driver
 * computes the metrics over all of them in split order ({@link #metrics}), so the AUC is exact.
 * {@code metalr evaluate} runs it as a job (the weights travel once, a broadcast); a training run's
 * validation and test score with the training stage's own replicas ({@link ShardReplica#score}).
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
        int[] wanted = present(data, splits);
        if (wanted.length == 0) {
            return null;
        }
        Broadcast<float[]> tensors = sc.broadcast(model.layout().pack(weights));
        try {
            for (int attempt = 0; ; attempt++) {
                List<ScoreRows[]> parts = data.run(shard -> score(model, shard, wanted, tensors.value(), batchSize), null)
                        .collect();
                if (!parts.contains(null)) {
                    return metrics(data, wanted, parts, model.numClasses());
                }
                if (attempt > 0 || !data.refresh(log)) {
                    throw new IllegalStateException("evaluating " + names(wanted) + ": a shard's stores are missing after a rebuild");
                }
            }
        } finally {
            tensors.destroy(false);
        }
    }

    /** Of {@code splits}, those some shard holds images of, in the order given. */
    static int[] present(ShardPartitions data, List<Integer> splits) {
        return splits.stream().filter(s -> data.of(s) != null).mapToInt(Integer::intValue).toArray();
    }

    /**
     * The metrics over every shard's scores of the {@code wanted} splits (one array per shard, one
     * row set per split), taken as one set: a split's keys follow the images of the splits before it.
     */
    static ClassificationMetrics metrics(ShardPartitions data, int[] wanted, List<ScoreRows[]> parts, int numClasses) {
        int[] offsets = new int[wanted.length];
        for (int i = 1; i < wanted.length; i++) {
            offsets[i] = offsets[i - 1] + data.of(wanted[i - 1]).total();
        }
        List<ScoreRows> all = new ArrayList<>();
        for (ScoreRows[] p : parts) {
            for (int i = 0; i < wanted.length; i++) {
                all.add(p[i].shifted(offsets[i]));
            }
        }
        return ScoreRows.metrics(all, numClasses);
    }

    /**
     * The scores of the shard's images of each of {@code splits} under the given weights (all
     * tensors, packed); one row set per split, empty where the shard holds none of it.
     */
    static ScoreRows[] score(Model model, ShardData shard, int[] splits, float[] tensors, int batchSize) {
        ScoreRows[] out = new ScoreRows[splits.length];
        ShardData.Part[] parts = new ShardData.Part[splits.length];
        for (int i = 0; i < splits.length; i++) {
            parts[i] = shard.part(splits[i]);
            out[i] = new ScoreRows(new int[0], new int[0], new float[0][]);
        }
        if (java.util.Arrays.stream(parts).allMatch(p -> p == null)) {
            return out;
        }
        Autograd.disableOnThisThread();
        Network net = model.network();
        try (Weights w = Weights.fromHost(net, model.layout().unpack(tensors), Devices.forCurrentTask(model.device()))) {
            for (int i = 0; i < splits.length; i++) {
                if (parts[i] != null) {
                    out[i] = scores(w, parts[i], batchSize);
                }
            }
        }
        return out;
    }

    /**
     * A shard's images of one split scored in batches of {@code batchSize} from its first image: the
     * single process's {@link Evaluator} code on the same batches when one shard holds the whole split.
     */
    static ScoreRows scores(Weights w, ShardData.Part part, int batchSize) {
        int[] labels = new int[part.images().size()];
        for (int k = 0; k < labels.length; k++) {
            labels[k] = part.images().label(k);
        }
        return new ScoreRows(part.keys(), labels, Evaluator.probabilities(w, part.images(), batchSize));
    }

    private static String names(int[] splits) {
        List<String> out = new ArrayList<>();
        for (int s : splits) {
            out.add(Splits.NAMES.get(s));
        }
        return String.join("+", out);
    }
}
