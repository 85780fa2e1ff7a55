package io.metalr.udf.predict;

import java.util.List;

/**
 * One image's result: the class probabilities, the predicted label (the most probable class; the
 * lowest index among equals) and its name.
 */
public record Prediction(float[] probabilities, int label, String className) {

    public static Prediction of(float[] probabilities, List<String> classes) {
        if (probabilities.length != classes.size()) {
            throw new IllegalStateException("the model gave " + probabilities.length + " probabilities for "
                    + classes.size() + " classes");
        }
        int best = 0;
        for (int c = 1; c < probabilities.length; c++) {
            if (probabilities[c] > probabilities[best]) {
                best = c;
            }
        }
        return new Prediction(probabilities, best, classes.get(best));
    }
}
