package io.metalr.data;

import io.metalr.config.JobConfig;

/** Loads the configured data set as train / validation / test splits. */
public final class DataSets {

    /** The three splits of a run. */
    public record Splits(ImageSet train, ImageSet val, ImageSet test) {

        public int channels() {
            return train.channels();
        }

        public int numClasses() {
            return train.numClasses();
        }
    }

    private DataSets() {}

    public static Splits load(JobConfig cfg) {
        String format = cfg.word("data.format");
        if (format.equals("synthetic")) {
            String task = cfg.string("data.synthetic.task");
            int classes = cfg.integer("data.synthetic.classes");
            int size = cfg.integer("data.synthetic.size");
            int channels = cfg.integer("data.synthetic.channels");
            long seed = cfg.integer("data.synthetic.seed");
            return new Splits(
                    SyntheticImages.generate(task, classes, cfg.integer("data.synthetic.train"), channels, size, seed),
                    SyntheticImages.generate(task, classes, cfg.integer("data.synthetic.val"), channels, size, seed + 1),
                    SyntheticImages.generate(task, classes, cfg.integer("data.synthetic.test"), channels, size, seed + 2));
        }
        throw new IllegalArgumentException("data.format = '" + format + "' is not supported; supported: synthetic");
    }
}
