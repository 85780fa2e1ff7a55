package io.metalr.spark;

import io.metalr.eval.ScoreRows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * What the driver and the training stage say to each other ({@link ResidentStage},
 * {@link ResidentShard}): the driver sends a command to rank 0, which passes it to every rank;
 * rank 0 answers for all of them. Every message is a few numbers per group, except a model state
 * (the stage's start, a restart, a checkpoint, the selected weights) and an evaluation's scores.
 */
final class ResidentProtocol {

    private ResidentProtocol() {}

    /** The first frame rank 0 sends: which launch of the stage, and which attempt of it, it belongs to. */
    record Hello(long launch, int stageAttempt) implements Serializable {}

    /** A command to every rank. */
    sealed interface Command extends Serializable
            permits Load, Compute, Commit, Abandon, Snapshot, Weights, LoadWeights, Evaluate, Stop {}

    /** Puts every replica at a whole state (the stage's start, a restart, a resumed run). */
    record Load(FullState state) implements Command {}

    /**
     * Computes a step on every shard and reduces it among the executors, at model
     * {@code version} (the replicas check it).
     */
    record Compute(long version, int epoch, int stepInEpoch, long step, double[] lr, boolean metaStep) implements Command {}

    /** Applies the computed step at rates {@code lr}. No answer. */
    record Commit(double[] lr) implements Command {}

    /** Drops the computed step. No answer. */
    record Abandon() implements Command {}

    /** Rank 0 answers with its whole state. */
    record Snapshot() implements Command {}

    /** Rank 0 answers with its weights (all-tensors layout). */
    record Weights() implements Command {}

    /** Every replica takes these weights (all-tensors layout). No answer. */
    record LoadWeights(Floats tensors) implements Command {}

    /** Every shard scores its part of {@code splits} in batches of {@code batchSize}. */
    record Evaluate(int[] splits, int batchSize) implements Command {}

    /** The stage ends: every task returns. */
    record Stop() implements Command {}

    /**
     * A computed step: the sums over all shards' images, the meta pass's means (null arrays without
     * one), the slowest rank's compute time and the busiest rank's bytes.
     */
    record StepReply(double lossSum, long correct, long count, double metaLoss, double[] dot, double[] valNormSq,
            double[] dirNormSq, double computeSeconds, long executorBytes) implements Serializable {}

    record StateReply(FullState state) implements Serializable {}

    record WeightsReply(Floats tensors) implements Serializable {}

    /** Per rank (index = rank), its scores of each evaluated split. */
    record ScoresReply(List<ScoreRows[]> parts) implements Serializable {}

    record Done() implements Serializable {}

    static byte[] encode(Serializable message) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(message);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** The message in {@code frame}, which must be a {@code type}. */
    static <T> T decode(byte[] frame, Class<T> type) {
        Object o;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(frame)) {
            @Override
            protected Class<?> resolveClass(java.io.ObjectStreamClass desc) throws IOException, ClassNotFoundException {
                // the application's classes load in Spark's per-application loader on executors
                try {
                    return Class.forName(desc.getName(), false, Thread.currentThread().getContextClassLoader());
                } catch (ClassNotFoundException e) {
                    return super.resolveClass(desc);
                }
            }
        }) {
            o = in.readObject();
        } catch (IOException | ClassNotFoundException e) {
            throw new IllegalStateException("a training-stage message could not be read: " + e.getMessage(), e);
        }
        if (!type.isInstance(o)) {
            throw new IllegalStateException("expected a " + type.getSimpleName() + ", got a " + o.getClass().getSimpleName());
        }
        return type.cast(o);
    }
}
