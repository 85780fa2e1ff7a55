package io.metalr.udf.predict;

import java.io.IOException;

/**
 * Opens trained models for {@link Scorers}. Implementations are registered as
 * {@code META-INF/services/io.metalr.udf.predict.ScorerFactory} and found with
 * {@link java.util.ServiceLoader}, so that this module needs no dependency on the one that holds
 * the networks (the job's {@code io.metalr.inference.BundleScorerFactory}).
 */
public interface ScorerFactory {

    /**
     * Reads the model in {@code modelDir} (a model directory or a run directory, any Hadoop path).
     *
     * @throws java.io.FileNotFoundException if a file the model needs is missing (the message names it)
     * @throws IOException if the model's files cannot be read or are not valid
     */
    Scorer open(String modelDir) throws IOException;
}
