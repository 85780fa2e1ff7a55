package io.metalr.udf.sql;

import io.metalr.udf.image.BadRecordException;
import io.metalr.udf.image.Image;
import io.metalr.udf.image.ImageDecoder;
import io.metalr.udf.image.Preprocessor;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.api.java.UDF4;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

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
 * A null argument gives null (SQL convention). A bad image fails the query with a
 * {@link BadRecordException} naming the function and the row's byte length: the row's file or key
 * is not visible inside a function of the bytes alone.
 *
 * <p>The static methods behind the functions ({@link #decode}, {@link #imageShape}, {@link #preprocess})
 * can be called directly from Java. More functions (e.g. {@code metalr_predict}) are added by
 * registering them in {@link #register} next to these, under a name constant of their own.
 */
public final class MetalrFunctions {

    public static final String DECODE = "metalr_decode";
    public static final String IMAGE_SHAPE = "metalr_image_shape";
    public static final String PREPROCESS = "metalr_preprocess";

    /** Mean and std {@code metalr_preprocess} uses for every channel. */
    public static final float PREPROCESS_MEAN = 0.5f;
    public static final float PREPROCESS_STD = 0.5f;

    private static final DataType FLOATS = DataTypes.createArrayType(DataTypes.FloatType, false);
    private static final DataType INTS = DataTypes.createArrayType(DataTypes.IntegerType, false);

    private MetalrFunctions() {}

    /** Registers every function with {@code spark}'s session catalog; safe to call again. */
    public static void register(SparkSession spark) {
        // Method references to static methods: serializable (UDF1 is Serializable) and capture nothing.
        spark.udf().register(DECODE, (UDF1<byte[], float[]>) MetalrFunctions::decode, FLOATS);
        spark.udf().register(IMAGE_SHAPE, (UDF1<byte[], int[]>) MetalrFunctions::imageShape, INTS);
        spark.udf().register(PREPROCESS,
                (UDF4<byte[], Integer, Integer, Integer, float[]>) MetalrFunctions::preprocess, FLOATS);
    }

    /** {@code metalr_decode}: the decoded values, C,Y,X order, or null for null. */
    public static float[] decode(byte[] image) {
        return image == null ? null : decodeImage(DECODE, image).data();
    }

    /** {@code metalr_image_shape}: {@code [channels, height, width]}, or null for null. */
    public static int[] imageShape(byte[] image) {
        if (image == null) {
            return null;
        }
        Image img = decodeImage(IMAGE_SHAPE, image);
        return new int[] {img.channels(), img.height(), img.width()};
    }

    /** {@code metalr_preprocess}: decoded, converted, resized and normalised values, or null. */
    public static float[] preprocess(byte[] image, Integer height, Integer width, Integer channels) {
        if (image == null || height == null || width == null || channels == null) {
            return null;
        }
        Preprocessor pre;
        try {
            pre = Preprocessor.of(height, width, channels, PREPROCESS_MEAN, PREPROCESS_STD);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(PREPROCESS + ": " + e.getMessage(), e);
        }
        return pre.apply(decodeImage(PREPROCESS, image), source(PREPROCESS, image)).data();
    }

    private static Image decodeImage(String function, byte[] image) {
        return ImageDecoder.decode(image, source(function, image));
    }

    /** What error messages call the row: the function and the byte count are all that is known. */
    private static String source(String function, byte[] image) {
        return function + " on a row's image of " + image.length + " bytes";
    }
}
