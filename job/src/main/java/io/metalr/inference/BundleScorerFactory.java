package io.metalr.inference;

import io.metalr.model.ModelBundle;
import io.metalr.udf.predict.Scorer;
import io.metalr.udf.predict.ScorerFactory;

import java.io.IOException;

/**
 * What {@code metalr_predict} and {@code MetalrClassifier} load models with (registered in
 * {@code META-INF/services/io.metalr.udf.predict.ScorerFactory}): a model or run directory read
 * with {@link ModelBundle#read}.
 */
public final class BundleScorerFactory implements ScorerFactory {

    @Override
    public Scorer open(String modelDir) throws IOException {
        return new BundleScorer(ModelBundle.read(modelDir));
    }
}
