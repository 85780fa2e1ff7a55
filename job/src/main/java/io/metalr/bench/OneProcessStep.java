package io.metalr.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;

import io.metalr.config.JobConfig;
import io.metalr.data.Batch;
import io.metalr.data.BatchOrder;
import io.metalr.data.ImageSet;
import io.metalr.nn.Weights;
import io.metalr.optim.Adam;
import io.metalr.train.RunSetup;
import io.metalr.train.TrainStep;

/** The engine alone: a MetaLR step in this process on a whole global batch, what Spark is measured against. */
final class OneProcessStep implements AutoCloseable {

    private final ImageSet train;
    private final int batch;
    private final Weights w;
    private final Adam adam;
    private final TrainStep step;

    /** A model at the run's initial weights that steps over {@code batch} images of {@code train} at a time. */
    OneProcessStep(JobConfig cfg, RunSetup setup, ImageSet train, int batch) {
        this.train = train;
        this.batch = batch;
        this.w = Weights.fromHost(setup.net(), setup.initial(), Device.cpu());
        this.adam = new Adam(w.manager(), 0.9, 0.999, 1e-8, 1e-4, false);
        this.step = new TrainStep(w, setup.groups(), adam, cfg.meta(), setup.plan(), false);
    }

    /** Step {@code s}'s wall time in ms, with a meta batch as large as the batch. */
    double stepMs(int s) {
        long t0 = System.nanoTime();
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            Batch b = train.batch(m, BatchOrder.metaBatch(train.size(), batch, 1, 0, s));
            Batch mb = train.batch(m, BatchOrder.metaBatch(train.size(), batch, 2, 0, s));
            step.run(b, mb, 0, s);
        }
        return (System.nanoTime() - t0) / 1e6;
    }

    @Override
    public void close() {
        step.close();
        adam.close();
        w.close();
    }
}
