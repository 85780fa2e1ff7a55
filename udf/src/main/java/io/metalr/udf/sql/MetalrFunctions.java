package io.metalr.udf.sql;

import io.metalr.udf.image.BadRecordException;
import io.metalr.udf.image.Image;
import io.metalr.udf.image.ImageDecoder;
import io.metalr.udf.image.Preprocessor;
import io.metalr.udf.predict.ModelInput;
import io.metalr.udf.predict.Prediction;
import io.metalr.udf.predict.Scorer;
import io.metalr.udf.predict.Scorers;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.api.java.UDF4;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The per-record image logic as Spark SQL functions, so a data set of encoded images can be
 * decoded and preprocessed in SQL or the DataFrame API, on the executors, with the same code the
 * training job uses:
 *
 * <pre>
 *   MetalrFunctions.register(spark);
 *   spark.sql("SELECT metalr_preprocess(content, 224, 224, 3) AS x FROM images");
 * </pre>
 *
 * <ul>
 *   <li>{@code metalr_decode(image BINARY) -> ARRAY<FLOAT>}: the decoded values in C,Y,X order, in [0, 1];
 *   <li>{@code metalr_image_shape(image BINARY) -> ARRAY<INT>}: {@code [channels, height, width]};
 *   <li>{@code metalr_preprocess(image BINARY, height INT, width INT, channels INT) -> ARRAY<FLOAT>}:
 *       decode, then {@link Preprocessor} with mean 0.5 and std 0.5 for every channel ([0, 1] to [-1, 1]).
 * </ul>
 *
 * A null argument gives null (SQL convention). A bad image, or one declaring more pixels than the
 * cap given at registration ({@link ImageDecoder#DEFAULT_MAX_PIXELS} unless given), fails the query
 * with a {@link BadRecordException} naming the function and the row's byte length: the row's file or
 * key is not visible inside a function of the bytes alone.
 *
 * <p>The static methods behind the functions ({@link #decode}, {@link #imageShape}, {@link #preprocess})
 * can be called directly from Java.
 *
 * <h2>Prediction</h2>
 *
 * {@link #registerPredict} adds, for one trained model (a model or run directory, any Hadoop path):
 * <ul>
 *   <li>{@code metalr_predict(image BINARY) -> STRUCT<probabilities: ARRAY<FLOAT>, label: INT, class: STRING>}:
 *       the image decoded, preprocessed as the model was trained (size, channels, mean and std
 *       from its {@code metadata.json}) and scored;
 *   <li>{@code metalr_predict_pixels(x ARRAY<FLOAT>)}: the same struct, for values already
 *       preprocessed for this model (C,Y,X order, {@code channels * height * width} of them).
 * </ul>
 * The model is loaded once per JVM (driver and each executor, {@link Scorers}) and runs on the
 * task's GPU when Spark gave it one. A scalar SQL function sees one row at a time, so each call is
 * a forward pass over a batch of one: fine for ad-hoc queries, slow for large tables. To score in
 * batches within each partition use the Spark ML transformer {@link io.metalr.udf.ml.MetalrClassifier}.
 */
public final class MetalrFunctions {

    public static final String DECODE = "metalr_decode";
    public static final String IMAGE_SHAPE = "metalr_image_shape";
    public static final String PREPROCESS = "metalr_preprocess";
    public static final String PREDICT = "metalr_predict";
    public static final String PREDICT_PIXELS = "metalr_predict_pixels";

    /** Mean and std {@code metalr_preprocess} uses for every channel. */
    public static final float PREPROCESS_MEAN = 0.5f;
    public static final float PREPROCESS_STD = 0.5f;

    private static final DataType FLOATS = DataTypes.createArrayType(DataTypes.FloatType, false);
    private static final DataType INTS = DataTypes.createArrayType(DataTypes.IntegerType, false);

    /** The result type of {@code metalr_predict}: field names are the same in the ML transformer's output. */
    public static final StructType PREDICTION = new StructType()
            .add("probabilities", FLOATS, false)
            .add("label", DataTypes.IntegerType, false)
            .add("class", DataTypes.StringType, false);

    private MetalrFunctions() {}

    /** Registers every function with {@code spark}'s session catalog; safe to call again. */
    public static void register(SparkSession spark) {
        register(spark, ImageDecoder.DEFAULT_MAX_PIXELS);
    }

    /**
     * Registers every function, refusing images that declare more than {@code maxPixels} pixels
     * ({@code data.max_image_pixels}) before they are decoded.
     */
    public static void register(SparkSession spark, long maxPixels) {
        checkCap(maxPixels);
        // The lambdas capture one long: serializable (UDF1 is Serializable), shipped to every executor.
        spark.udf().register(DECODE, (UDF1<byte[], float[]>) image -> decode(image, maxPixels), FLOATS);
        spark.udf().register(IMAGE_SHAPE, (UDF1<byte[], int[]>) image -> imageShape(image, maxPixels), INTS);
        spark.udf().register(PREPROCESS, (UDF4<byte[], Integer, Integer, Integer, float[]>)
                (image, h, w, c) -> preprocess(image, h, w, c, maxPixels), FLOATS);
    }

    private static void checkCap(long maxPixels) {
        if (maxPixels < 1 || maxPixels > ImageDecoder.MAX_PIXELS) {
            throw new IllegalArgumentException("maxPixels must be in 1.." + ImageDecoder.MAX_PIXELS + ", got " + maxPixels);
        }
    }

    /**
     * Registers {@code metalr_predict} and {@code metalr_predict_pixels} for the model in
     * {@code modelDir}, replacing an earlier registration. The model is read here first, so a
     * missing or broken model fails now, naming its file, not in the first task.
     *
     * @throws java.io.UncheckedIOException if the model cannot be read
     */
    public static void registerPredict(SparkSession spark, String modelDir) {
        registerPredict(spark, modelDir, ImageDecoder.DEFAULT_MAX_PIXELS);
    }

    /** As {@link #registerPredict(SparkSession, String)}, images capped at {@code maxPixels} pixels. */
    public static void registerPredict(SparkSession spark, String modelDir, long maxPixels) {
        checkCap(maxPixels);
        Scorers.forModel(modelDir);
        // the lambdas capture only the path and the cap: each executor loads the model itself, once
        spark.udf().register(PREDICT, (UDF1<byte[], Row>) image -> predict(modelDir, image, maxPixels), PREDICTION);
        spark.udf().register(PREDICT_PIXELS,
                (UDF1<scala.collection.Seq<Float>, Row>) x -> predictPixels(modelDir, x), PREDICTION);
    }

    /** {@code metalr_predict}: the prediction as a row of {@link #PREDICTION}, or null for null. */
    public static Row predict(String modelDir, byte[] image) {
        return predict(modelDir, image, ImageDecoder.DEFAULT_MAX_PIXELS);
    }

    public static Row predict(String modelDir, byte[] image, long maxPixels) {
        if (image == null) {
            return null;
        }
        Scorer scorer = Scorers.forModel(modelDir);
        return score(scorer, ModelInput.fromImage(scorer.preprocessor(), image, source(PREDICT, image), maxPixels));
    }

    /** {@code metalr_predict_pixels}: the prediction for preprocessed values, or null for null. */
    public static Row predictPixels(String modelDir, scala.collection.Seq<Float> pixels) {
        if (pixels == null) {
            return null;
        }
        String source = PREDICT_PIXELS + " on a row of " + pixels.size() + " values";
        float[] x = new float[pixels.size()];
        for (int i = 0; i < x.length; i++) {
            Float v = pixels.apply(i);
            if (v == null) {
                throw new BadRecordException(source + ": null at index " + i);
            }
            x[i] = v;
        }
        Scorer scorer = Scorers.forModel(modelDir);
        return score(scorer, ModelInput.fromPixels(scorer.preprocessor(), x, source));
    }

    private static Row score(Scorer scorer, float[] x) {
        Prediction p = Prediction.of(scorer.probabilities(new float[][] {x})[0], scorer.classes());
        return RowFactory.create(p.probabilities(), p.label(), p.className());
    }

    /** {@code metalr_decode}: the decoded values, C,Y,X order, or null for null. */
    public static float[] decode(byte[] image) {
        return decode(image, ImageDecoder.DEFAULT_MAX_PIXELS);
    }

    public static float[] decode(byte[] image, long maxPixels) {
        return image == null ? null : decodeImage(DECODE, image, maxPixels).data();
    }

    /** {@code metalr_image_shape}: {@code [channels, height, width]}, or null for null. */
    public static int[] imageShape(byte[] image) {
        return imageShape(image, ImageDecoder.DEFAULT_MAX_PIXELS);
    }

    public static int[] imageShape(byte[] image, long maxPixels) {
        if (image == null) {
            return null;
        }
        Image img = decodeImage(IMAGE_SHAPE, image, maxPixels);
        return new int[] {img.channels(), img.height(), img.width()};
    }

    /** {@code metalr_preprocess}: decoded, converted, resized and normalised values, or null. */
    public static float[] preprocess(byte[] image, Integer height, Integer width, Integer channels) {
        return preprocess(image, height, width, channels, ImageDecoder.DEFAULT_MAX_PIXELS);
    }

    public static float[] preprocess(byte[] image, Integer height, Integer width, Integer channels, long maxPixels) {
        if (image == null || height == null || width == null || channels == null) {
            return null;
        }
        Preprocessor pre;
        try {
            pre = Preprocessor.of(height, width, channels, PREPROCESS_MEAN, PREPROCESS_STD);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(PREPROCESS + ": " + e.getMessage(), e);
        }
        return pre.apply(decodeImage(PREPROCESS, image, maxPixels), source(PREPROCESS, image)).data();
    }

    private static Image decodeImage(String function, byte[] image, long maxPixels) {
        return ImageDecoder.decode(image, source(function, image), maxPixels);
    }

    /** What error messages call the row: the function and the byte count are all that is known. */
    private static String source(String function, byte[] image) {
        return function + " on a row's image of " + image.length + " bytes";
    }
}
