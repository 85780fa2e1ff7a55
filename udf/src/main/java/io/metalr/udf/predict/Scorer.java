package io.metalr.udf.predict;

import io.metalr.udf.image.Preprocessor;

import java.util.List;

/**
 * A trained classifier as inference needs it: the preprocessing its inputs must go through, its
 * class names, and class probabilities for a batch of preprocessed images. The implementation
 * (the networks, the tensor engine) lives outside this module and is found through
 * {@link ScorerFactory}; {@link Scorers#forModel} keeps one per model directory per JVM.
 *
 * <p>Implementations must be thread-safe: the tasks of one executor JVM share the instance and
 * call {@link #probabilities} at the same time.
 */
public interface Scorer {

    /** Class names; index {@code i} is label {@code i}. */
    List<String> classes();

    /** What turns a decoded image into one row of {@link #probabilities}' input. */
    Preprocessor preprocessor();

    /**
     * Softmax probabilities of a batch.
     *
     * @param batch rows of {@code channels * height * width} preprocessed values, C,Y,X order
     * @return one row of {@code classes().size()} probabilities per input row
     */
    float[][] probabilities(float[][] batch);
}
