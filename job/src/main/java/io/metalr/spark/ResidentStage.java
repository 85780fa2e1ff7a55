package io.metalr.spark;

import io.metalr.eval.ScoreRows;
import io.metalr.spark.ResidentProtocol.Command;
import io.metalr.spark.mesh.Link;
import io.metalr.spark.mesh.MeshException;

import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The driver's side of the training stage: one Spark barrier stage, a task per shard
 * ({@link ResidentShard}), that runs the whole fit, so that a step costs no Spark job and its
 * gradients never pass through the driver. The driver listens on one port; the stage's rank 0
 * connects to it and carries every command to the other ranks.
 *
 * <p>Fault tolerance by deterministic replay. The driver keeps the last whole state it holds (the
 * initial one, or the newest checkpoint's) and every command that changed the model since. When
 * the stage loses a task (an executor killed, an error inside a replica's update, a store gone),
 * Spark ends the stage; the driver starts it anew (or takes Spark's own retry of it), loads that
 * state into every new replica and replays the commands: every step is a pure function of the
 * state, the shard's data and the command, so the replicas end bitwise where they were.
 */
final class ResidentStage implements AutoCloseable {

    /** How the stage is reached and how patient the driver is with it. */
    record Settings(int port, int maxRestarts, long timeoutMs) {}

    private final JavaSparkContext sc;
    private final ShardPartitions data;
    private final Broadcast<JobSpec> spec;
    private final int[] learnableGroupOf;
    private final int groupCount;
    private final Settings settings;
    private final Consumer<String> log;
    private final ServerSocket server;
    private final String host;
    /** Opens every connection to the driver's port and between the tasks: only this run's tasks get in. */
    private final long secret = new java.security.SecureRandom().nextLong();
    private long launch;
    private JavaFutureAction<List<ResidentShard.Outcome>> job;
    private Link link;
    private long closedLinkBytes;
    /** The state a restarted stage starts from, and every model-changing command since, in order. */
    private FullState base;
    private final List<Command> since = new ArrayList<>();
    /** Set when the replicas' state is no longer base plus {@link #since} (an abandoned lookahead). */
    private boolean invalid;
    private int failures;
    /** The launch whose failure has been counted already (a lost link, then its job's end, is one failure). */
    private long countedLaunch;
    /** The launch after which the stores were last rebuilt (a shard missing twice in a row fails the run). */
    private long refreshedForLaunch;

    ResidentStage(JavaSparkContext sc, ShardPartitions data, Broadcast<JobSpec> spec, int[] learnableGroupOf, int groupCount,
            FullState initial, Settings settings, Consumer<String> log) {
        this.sc = sc;
        this.data = data;
        this.spec = spec;
        this.learnableGroupOf = learnableGroupOf;
        this.groupCount = groupCount;
        this.settings = settings;
        this.log = log;
        this.base = initial;
        this.host = sc.getConf().get("spark.driver.host");
        try {
            this.server = new ServerSocket(settings.port());
        } catch (IOException e) {
            throw new UncheckedIOException("the driver cannot listen on port " + settings.port()
                    + " for the training stage (distributed.driver_port): " + e.getMessage(), e);
        }
    }

    /** A step, computed on every shard and reduced among the executors. */
    ResidentProtocol.StepReply compute(ResidentProtocol.Compute c) {
        ResidentProtocol.StepReply r = ask(c, ResidentProtocol.StepReply.class);
        since.add(c);
        return r;
    }

    void commit(double[] lr) {
        tell(new ResidentProtocol.Commit(lr));
    }

    /**
     * Drops the computed step; it never happened, and is not replayed. {@code tookDirection}: its
     * meta pass advanced the optimizer's moments, so the replicas must be put back (on the next
     * command) at base plus the commands before it.
     */
    void abandon(boolean tookDirection) {
        if (!since.isEmpty() && since.get(since.size() - 1) instanceof ResidentProtocol.Compute) {
            since.remove(since.size() - 1);
        }
        if (tookDirection) {
            invalid = true;
        } else if (link != null) {
            send(new ResidentProtocol.Abandon());
        }
    }

    /** Puts every replica at {@code s} (a resumed run): the new base. */
    void load(FullState s) {
        base = s;
        since.clear();
        invalid = false;
        if (link != null) {
            send(new ResidentProtocol.Load(s));
        }
    }

    /** Rank 0's whole state, which becomes the base a restart replays from. */
    FullState snapshot() {
        FullState s = ask(new ResidentProtocol.Snapshot(), ResidentProtocol.StateReply.class).state();
        base = s;
        since.clear();
        return s;
    }

    float[] weights() {
        return ask(new ResidentProtocol.Weights(), ResidentProtocol.WeightsReply.class).tensors().values();
    }

    void loadWeights(float[] all) {
        tell(new ResidentProtocol.LoadWeights(new Floats(all)));
    }

    /** Every shard's scores of {@code splits}, one array per shard. */
    List<ScoreRows[]> evaluate(int[] splits, int batchSize) {
        return ask(new ResidentProtocol.Evaluate(splits, batchSize), ResidentProtocol.ScoresReply.class).parts();
    }

    /** Bytes the driver sent to and received from the stage so far. */
    long driverBytes() {
        return closedLinkBytes + (link == null ? 0 : link.bytesSent() + link.bytesReceived());
    }

    /** A command that changes the model: logged for replay, then sent (a restart replays it). */
    private void tell(Command c) {
        since.add(c);
        if (!ensureRunning()) {
            return; // the start replayed it
        }
        try {
            link.send(ResidentProtocol.encode(c));
        } catch (MeshException e) {
            failed(e);
            ensureRunning();
        }
    }

    private void send(Command c) {
        try {
            link.send(ResidentProtocol.encode(c));
        } catch (MeshException e) {
            failed(e);
        }
    }

    private <T> T ask(Command c, Class<T> type) {
        while (true) {
            ensureRunning();
            try {
                link.send(ResidentProtocol.encode(c));
                return ResidentProtocol.decode(link.receive(), type);
            } catch (MeshException e) {
                failed(e);
            }
        }
    }

    /** The link lost: count the failure; the next command restarts the stage. */
    private void failed(RuntimeException cause) {
        dropLink();
        count(taskFailure(cause));
    }

    /** One more failure of the stage: the run fails past {@code distributed.stage_restarts}. */
    private void count(Throwable why) {
        countedLaunch = launch;
        failures++;
        if (failures > settings.maxRestarts()) {
            throw new IllegalStateException("the training stage failed " + failures + " times (distributed.stage_restarts = "
                    + settings.maxRestarts() + "); the last failure: " + describe(why), why);
        }
        log.accept("the training stage lost a task (" + describe(why) + "); restarting it from model version "
                + base.version() + " and replaying " + since.size() + " command(s)");
    }

    /**
     * Why the stage failed: the Spark job's own failure, which names the task's error, when the job
     * ends within a few seconds of the link's loss (it does once Spark gives the stage up; while
     * Spark retries the stage itself it runs on, and the link's loss is all there is to say).
     */
    private Throwable taskFailure(Throwable linkLoss) {
        if (job == null) {
            return linkLoss;
        }
        try {
            job.get(5, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.CancellationException e) {
            // still running (Spark's retry of the stage), or cancelled by us
        }
        return linkLoss;
    }

    /**
     * Brings the stage up when it is not (the first command, or after a failure): launches it, or
     * takes Spark's own retry of it, and puts every replica at base plus the commands since.
     * Returns whether it was already running.
     */
    private boolean ensureRunning() {
        if (link != null && !invalid) {
            return true;
        }
        if (link != null) {
            resync(link); // an abandoned lookahead: the same stage, put back
            invalid = false;
            return false;
        }
        while (true) {
            if (job == null || job.isDone()) {
                relaunch();
            }
            Link l = awaitRankZero();
            if (l == null) {
                continue; // the stage ended before its rank 0 connected
            }
            try {
                resync(l);
                link = l;
                invalid = false;
                return false;
            } catch (MeshException e) {
                l.close();
                failed(e);
            }
        }
    }

    /** Launches the stage anew, once the previous launch has ended (its stores rebuilt if it found them missing). */
    private void relaunch() {
        if (job != null) {
            List<ResidentShard.Outcome> outcomes = null;
            try {
                outcomes = job.get();
            } catch (ExecutionException e) {
                if (countedLaunch != launch) {
                    count(e.getCause()); // it failed before its rank 0 connected
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while the training stage restarted", e);
            }
            if (outcomes != null && outcomes.stream().anyMatch(ResidentShard.Outcome::missing)) {
                if (refreshedForLaunch == launch - 1 && refreshedForLaunch > 0) {
                    throw new IllegalStateException("a shard of " + data.name() + " found no stores where its task ran,"
                            + " again after a rebuild");
                }
                if (!data.refresh(log)) {
                    throw new IllegalStateException("a shard of " + data.name() + " found no data, and none can be rebuilt");
                }
                refreshedForLaunch = launch;
            } else if (outcomes != null && countedLaunch != launch) {
                count(new IllegalStateException("the training stage ended without a command to stop"));
            }
        }
        launch++;
        ResidentShard.DriverAddress address = new ResidentShard.DriverAddress(host, server.getLocalPort(), launch, secret,
                settings.timeoutMs());
        Broadcast<JobSpec> s = spec;
        int[] groupOf = learnableGroupOf;
        int groups = groupCount;
        sc.setJobDescription("metalr training stage of " + data.name() + " (launch " + launch + ")");
        try {
            job = data.barrier(shard -> ResidentShard.run(s.value(), shard, address, groupOf, groups)).collectAsync();
        } finally {
            sc.setJobDescription(null);
        }
    }

    /** Rank 0's link of the current launch, once it connects; null when the launch ended first. */
    private Link awaitRankZero() {
        long deadline = System.currentTimeMillis() + settings.timeoutMs();
        while (true) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                job.cancel(true);
                throw new IllegalStateException("the training stage's " + data.train().count() + " tasks did not all start within "
                        + settings.timeoutMs() / 1000 + " s (distributed.stage_timeout_s); each shard needs a task slot of its own");
            }
            Link l;
            try {
                JavaFutureAction<?> j = job;
                l = Link.accept(server, j::isDone, left);
            } catch (MeshException e) {
                if (job.isDone()) {
                    return null;
                }
                continue;
            }
            try {
                // the secret first, as raw bytes: nothing from a stranger reaches the deserializer
                if (java.nio.ByteBuffer.wrap(l.receive(left)).getLong() == secret) {
                    ResidentProtocol.Hello hello = ResidentProtocol.decode(l.receive(left), ResidentProtocol.Hello.class);
                    if (hello.launch() == launch) {
                        return l;
                    }
                }
            } catch (MeshException | IllegalStateException | java.nio.BufferUnderflowException e) {
                // a task of an earlier launch, or not ours at all
            }
            l.close();
        }
    }

    /** Puts the replicas at base, then replays every model-changing command since (a step's answer is not needed again). */
    private void resync(Link l) {
        l.send(ResidentProtocol.encode(new ResidentProtocol.Load(base)));
        for (Command c : since) {
            l.send(ResidentProtocol.encode(c));
            if (c instanceof ResidentProtocol.Compute) {
                ResidentProtocol.decode(l.receive(), ResidentProtocol.StepReply.class);
            }
        }
    }

    private void dropLink() {
        if (link != null) {
            closedLinkBytes += link.bytesSent() + link.bytesReceived();
            link.close();
            link = null;
        }
    }

    private static String describe(Throwable t) {
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    /** Ends the stage: every task returns, and with it every replica. */
    @Override
    public void close() {
        try {
            if (link != null) {
                try {
                    ResidentProtocol.decode(askOnce(new ResidentProtocol.Stop()), ResidentProtocol.Done.class);
                    job.get(settings.timeoutMs(), TimeUnit.MILLISECONDS);
                } catch (RuntimeException | ExecutionException | java.util.concurrent.TimeoutException e) {
                    log.accept("the training stage did not stop cleanly: " + describe(e));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (job != null && !job.isDone()) {
                job.cancel(true);
            }
        } finally {
            dropLink();
            try {
                server.close();
            } catch (IOException e) {
                log.accept("could not close the training stage's port: " + e.getMessage());
            }
        }
    }

    private byte[] askOnce(Serializable c) {
        link.send(ResidentProtocol.encode(c));
        return link.receive();
    }
}
