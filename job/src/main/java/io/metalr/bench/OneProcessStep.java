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
final class OneProcessStep {

    private OneProcessStep() {}

    /**
     * The median ms of {@code steps} MetaLR steps of {@code batch} images (and a meta batch as large),
     * the first {@code warmUp} not counted, on the libtorch threads this process has.
     */
    static double medianMs(JobConfig cfg, RunSetup setup, ImageSet train, int batch, int steps, int warmUp) {
        double[] ms = new double[steps - warmUp];
        try (Weights w = Weights.fromHost(setup.net(), setup.initial(), Device.cpu());
                Adam adam = new Adam(w.manager(), 0.9, 0.999, 1e-8, 1e-4, false);
                TrainStep step = new TrainStep(w, setup.groups(), adam, cfg.meta(), setup.plan(), false)) {
            for (int s = 0; s < steps; s++) {
                long t0 = System.nanoTime();
                try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
                    Batch b = train.batch(m, BatchOrder.metaBatch(train.size(), batch, 1, 0, s));
                    Batch mb = train.batch(m, BatchOrder.metaBatch(train.size(), batch, 2, 0, s));
                    step.run(b, mb, 0, s);
                }
                if (s >= warmUp) {
                    ms[s - warmUp] = (System.nanoTime() - t0) / 1e6;
                }
            }
        }
        return BenchOutput.median(ms);
    }
}
