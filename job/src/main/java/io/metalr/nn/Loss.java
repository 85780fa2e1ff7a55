package io.metalr.nn;

import ai.djl.ndarray.NDArray;

/** The training objective: mean softmax cross-entropy over the batch, as PyTorch's default. */
public final class Loss {

    private Loss() {}

    /** @param labels int64 or int32 class indices of shape (N) */
    public static NDArray crossEntropy(NDArray logits, NDArray labels) {
        int classes = Math.toIntExact(logits.getShape().get(1));
        NDArray logProb = logits.logSoftmax(1);
        NDArray oneHot = labels.oneHot(classes);
        return logProb.mul(oneHot).sum(new int[] {1}).mean().neg();
    }
}
