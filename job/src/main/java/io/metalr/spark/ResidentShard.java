package io.metalr.spark;

import io.metalr.device.Devices;
import io.metalr.eval.ScoreRows;
import io.metalr.nn.Autograd;
import io.metalr.spark.ResidentProtocol.Command;
import io.metalr.spark.mesh.Collectives;
import io.metalr.spark.mesh.Link;
import io.metalr.spark.mesh.MeshListener;
import io.metalr.spark.mesh.PeerMesh;
import io.metalr.spark.mesh.SharedMesh;

import org.apache.spark.BarrierTaskContext;

import java.io.Serializable;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A shard's task in the training stage: one Spark barrier task per shard, running for the whole
 * fit. It builds the shard's replica once, joins its peers in a {@link PeerMesh} (the addresses
 * travel once, through Spark's barrier allGather; when every task runs in this JVM, a
 * {@link SharedMesh} instead), and then follows the driver's commands: rank 0
 * holds the only connection to the driver and passes each command to the others. A step's
 * gradients and statistics are averaged among the executors ({@link Collectives#allMeanInPlace}); only a few
 * numbers per group go back to the driver. A task that fails fails the stage, and the driver
 * restarts it from its last known state ({@link ResidentStage}).
 */
final class ResidentShard {

    /**
     * Where rank 0 reaches the driver, and which launch of the stage this is; {@code secret} opens
     * every connection (rank 0 to the driver, peer to peer) before anything is deserialized from it.
     */
    record DriverAddress(String host, int port, long launch, long secret, long timeoutMs) implements Serializable {}

    /** What a task returns: whether its shard's data was in its JVM (a store-backed shard may not be). */
    record Outcome(int rank, boolean missing) implements Serializable {}

    private final JobSpec spec;
    private final ShardData shard;
    private final Collectives mesh;
    private final ShardReplica replica;
    private final int[] learnableGroupOf;
    private final int groupCount;

    private ResidentShard(JobSpec spec, ShardData shard, Collectives mesh, ShardReplica replica, int[] learnableGroupOf, int groupCount) {
        this.spec = spec;
        this.shard = shard;
        this.mesh = mesh;
        this.replica = replica;
        this.learnableGroupOf = learnableGroupOf;
        this.groupCount = groupCount;
    }

    /** The task: {@code shard} is null when its data is not in this JVM; then every rank returns at once. */
    static Outcome run(JobSpec spec, ShardData shard, DriverAddress driver, int[] learnableGroupOf, int groupCount) {
        BarrierTaskContext ctx = BarrierTaskContext.get();
        int rank = ctx.partitionId();
        if (shard != null && shard.index != rank) {
            throw new IllegalStateException("partition " + rank + " holds shard " + shard.index);
        }
        String host = host(ctx.getTaskInfos()[rank].address());
        try (MeshListener listener = MeshListener.open("0.0.0.0")) {
            List<TaskNote> all = new ArrayList<>();
            for (String note : ctx.allGather(new TaskNote(host, listener.port(), SharedMesh.JVM, shard != null).format())) {
                all.add(TaskNote.parse(note));
            }
            if (all.stream().anyMatch(n -> !n.ready())) {
                return new Outcome(rank, shard == null);
            }
            Autograd.disableOnThisThread();
            try (Collectives mesh = join(spec, ctx, driver, listener, all);
                    Link link = rank == 0 ? Link.connect(driver.host(), driver.port(), ctx::isInterrupted, driver.timeoutMs()) : null;
                    ShardReplica replica = new ShardReplica(spec, Devices.forCurrentTask(spec.device()))) {
                if (link != null) {
                    link.send(java.nio.ByteBuffer.allocate(Long.BYTES).putLong(driver.secret()).array());
                    link.send(ResidentProtocol.encode(new ResidentProtocol.Hello(driver.launch(), ctx.stageAttemptNumber())));
                }
                new ResidentShard(spec, shard, mesh, replica, learnableGroupOf, groupCount).follow(link);
            }
        }
        return new Outcome(rank, false);
    }

    /** What each task tells the others through Spark's allGather: where it listens, in which JVM, whether its data is here. */
    private record TaskNote(String host, int port, String jvm, boolean ready) {
        String format() {
            return host + " " + port + " " + jvm + " " + (ready ? "ready" : "missing");
        }

        static TaskNote parse(String note) {
            String[] f = note.split(" ");
            return new TaskNote(f[0], Integer.parseInt(f[1]), f[2], f[3].equals("ready"));
        }
    }

    /**
     * The ranks' collectives: through memory when every task runs in this JVM (and
     * {@code distributed.transport} allows it), else over TCP. No stall limit between commands: the
     * driver may think for long (a checkpoint, an evaluation's metrics); a lost peer closes its
     * links, and a killed stage cancels the task.
     */
    private static Collectives join(JobSpec spec, BarrierTaskContext ctx, DriverAddress driver, MeshListener listener,
            List<TaskNote> all) {
        int rank = ctx.partitionId();
        if (spec.sharedMemory() && all.size() > 1 && all.stream().allMatch(n -> n.jvm().equals(SharedMesh.JVM))) {
            return SharedMesh.join(driver.secret() + "/" + driver.launch() + "/" + ctx.stageAttemptNumber(), rank, all.size(),
                    ctx::isInterrupted, driver.timeoutMs());
        }
        List<InetSocketAddress> peers = all.stream().map(n -> new InetSocketAddress(n.host(), n.port())).toList();
        return listener.join(rank, peers, driver.secret(), ctx::isInterrupted, driver.timeoutMs(), Long.MAX_VALUE);
    }

    /** The executor's host in a barrier task's address ("host:port" or a bare host). */
    private static String host(String address) {
        int colon = address.lastIndexOf(':');
        return colon > 0 && address.indexOf(':') == colon ? address.substring(0, colon) : address;
    }

    /** Follows commands until Stop; rank 0 reads them from the driver and answers it. */
    private void follow(Link driver) {
        while (true) {
            byte[] frame = mesh.broadcast(driver == null ? null : driver.receive());
            Command c = ResidentProtocol.decode(frame, Command.class);
            Serializable answer = answer(c);
            if (driver != null && answer != null) {
                driver.send(ResidentProtocol.encode(answer));
            }
            if (c instanceof ResidentProtocol.Stop) {
                return;
            }
        }
    }

    /** Carries out one command on this rank; rank 0's answer goes to the driver (null: none). */
    private Serializable answer(Command c) {
        if (c instanceof ResidentProtocol.Compute q) {
            return compute(q);
        } else if (c instanceof ResidentProtocol.Commit m) {
            replica.commit(m.lr());
        } else if (c instanceof ResidentProtocol.Abandon) {
            replica.abandon();
        } else if (c instanceof ResidentProtocol.Load l) {
            replica.load(l.state());
        } else if (c instanceof ResidentProtocol.Snapshot) {
            return mesh.rank() == 0 ? new ResidentProtocol.StateReply(replica.snapshot()) : null;
        } else if (c instanceof ResidentProtocol.Weights) {
            return mesh.rank() == 0 ? new ResidentProtocol.WeightsReply(new Floats(replica.weightsPacked())) : null;
        } else if (c instanceof ResidentProtocol.LoadWeights w) {
            replica.loadWeights(w.tensors().values());
        } else if (c instanceof ResidentProtocol.Evaluate e) {
            return evaluate(e);
        } else if (c instanceof ResidentProtocol.Stop) {
            return new ResidentProtocol.Done();
        }
        return null;
    }

    /**
     * A step: the shard's gradient and statistics, averaged among all shards; the step's loss sums;
     * in global meta mode the meta pass along the mean (every replica along the same direction, each
     * on its meta batch), its sums averaged. Every rank ends holding the same means, which the
     * commit applies.
     */
    private ResidentProtocol.StepReply compute(ResidentProtocol.Compute q) {
        if (replica.version() != q.version()) {
            throw new IllegalStateException("step " + q.step() + ": shard " + shard.index + "'s replica is at version "
                    + replica.version() + ", the driver at " + q.version());
        }
        long bytesBefore = mesh.bytesSent() + mesh.bytesReceived();
        long t0 = System.nanoTime();
        ShardReplica.LocalStep s = replica.gradients(shard, q);
        double seconds = (System.nanoTime() - t0) / 1e9;
        int n = spec.learnable().total();
        float[] mean = s.gradientAndBuffers();
        mesh.allMeanInPlace(mean);
        replica.hold(mean, Arrays.copyOfRange(mean, n, mean.length));
        ShardReplica.Meta own = s.meta();
        double[] sums = mesh.allSum(withStats(concat(new double[] {s.lossSum(), s.correct(), s.count()}, metaNumbers(own)),
                seconds, bytesBefore));
        double lossSum = sums[0];
        long correct = (long) sums[1];
        long count = (long) sums[2];
        double[] stats = statsOf(sums);
        boolean lookahead = q.metaStep() && spec.mode() == MetaMode.GLOBAL;
        if (!Double.isFinite(lossSum / count) || !q.metaStep()) {
            return new ResidentProtocol.StepReply(lossSum, correct, count, Double.NaN, null, null, null, stats[0], (long) stats[1]);
        }
        double[] metaMeans;
        double[] exactValNormSq = null;
        if (lookahead) {
            long t1 = System.nanoTime();
            ShardReplica.Meta m = replica.lookahead(shard, q);
            seconds += (System.nanoTime() - t1) / 1e9;
            double[] numbers = metaNumbers(m);
            if (m.valGradient() != null) {
                // the exact cosine rule: the norm of the MEAN validation gradient; each rank takes its
                // chunk's share of it, and only those per-group partial sums are exchanged
                numbers = concat(numbers, chunkNormsSq(mesh.reduceScatterMean(m.valGradient())));
            }
            double[] ms = mesh.allSum(withStats(numbers, seconds, bytesBefore));
            stats = statsOf(ms);
            metaMeans = ms;
            if (m.valGradient() != null) {
                exactValNormSq = Arrays.copyOfRange(ms, 1 + 3 * groupCount, 1 + 4 * groupCount);
            }
        } else {
            metaMeans = Arrays.copyOfRange(sums, 3, sums.length);
        }
        int shards = mesh.size();
        double metaLoss = metaMeans[0] / shards;
        double[] dot = scaled(metaMeans, 1, shards);
        double[] valNormSq = exactValNormSq != null ? exactValNormSq : scaled(metaMeans, 1 + groupCount, shards);
        double[] dirNormSq = scaled(metaMeans, 1 + 2 * groupCount, shards);
        return new ResidentProtocol.StepReply(lossSum, correct, count, metaLoss, dot, valNormSq, dirNormSq, stats[0], (long) stats[1]);
    }

    /** Every shard scores its part; rank 0 collects the parts for the driver. */
    private ResidentProtocol.ScoresReply evaluate(ResidentProtocol.Evaluate e) {
        ScoreRows[] mine = replica.score(shard, e.splits(), e.batchSize());
        byte[][] all = mesh.gather(ResidentProtocol.encode(mine));
        if (all == null) {
            return null;
        }
        List<ScoreRows[]> parts = new ArrayList<>();
        for (byte[] p : all) {
            parts.add(ResidentProtocol.decode(p, ScoreRows[].class));
        }
        return new ResidentProtocol.ScoresReply(parts);
    }

    /** A meta pass as numbers: loss, then dot, val norm and direction norm per group; nothing without one. */
    private double[] metaNumbers(ShardReplica.Meta m) {
        if (m == null) {
            return new double[0];
        }
        double[] out = new double[1 + 3 * groupCount];
        out[0] = m.loss();
        System.arraycopy(m.dot(), 0, out, 1, groupCount);
        System.arraycopy(m.valNormSq(), 0, out, 1 + groupCount, groupCount);
        System.arraycopy(m.dirNormSq(), 0, out, 1 + 2 * groupCount, groupCount);
        return out;
    }

    /** Per group, the squared norm of this rank's chunk of a mean over the learnable tensors, in double. */
    private double[] chunkNormsSq(Collectives.Chunk chunk) {
        double[] out = new double[groupCount];
        FlatLayout layout = spec.learnable();
        for (int t = 0; t < learnableGroupOf.length; t++) {
            int from = Math.max(layout.offset(t), chunk.from());
            int to = Math.min(layout.offset(t + 1), chunk.to());
            double sq = 0;
            for (int i = from; i < to; i++) {
                double x = chunk.mean()[i - chunk.from()];
                sq += x * x;
            }
            out[learnableGroupOf[t]] += sq;
        }
        return out;
    }

    /**
     * {@code v} with one slot per rank for its compute seconds and one for its bytes so far, this
     * rank's filled: after the sum, the slowest rank's time and the busiest rank's bytes.
     */
    private double[] withStats(double[] v, double seconds, long bytesBefore) {
        int n = mesh.size();
        double[] out = Arrays.copyOf(v, v.length + 2 * n);
        out[v.length + mesh.rank()] = seconds;
        out[v.length + n + mesh.rank()] = mesh.bytesSent() + mesh.bytesReceived() - bytesBefore;
        return out;
    }

    /** {slowest seconds, most bytes} from a sum made by {@link #withStats}. */
    private double[] statsOf(double[] sums) {
        int n = mesh.size();
        double seconds = 0;
        double bytes = 0;
        for (int r = 0; r < n; r++) {
            seconds = Math.max(seconds, sums[sums.length - 2 * n + r]);
            bytes = Math.max(bytes, sums[sums.length - n + r]);
        }
        return new double[] {seconds, bytes};
    }

    private static double[] concat(double[] a, double[] b) {
        double[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private double[] scaled(double[] v, int from, int shards) {
        double[] out = new double[groupCount];
        for (int g = 0; g < groupCount; g++) {
            out[g] = v[from + g] / shards;
        }
        return out;
    }
}
