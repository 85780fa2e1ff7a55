package io.metalr.udf.sql;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalr.udf.image.Image;
import io.metalr.udf.image.ImageDecoder;
import io.metalr.udf.image.Preprocessor;
import io.metalr.udf.image.TestImages;
import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The SQL functions on a real local Spark session, compared with the Java API. */
class MetalrFunctionsTest {

    private static SparkSession spark;
    private static byte[] grayPng;
    private static byte[] rgbPng;
    private static byte[] rgbJpeg;

    private static final StructType SCHEMA = new StructType()
            .add("id", DataTypes.IntegerType, false)
            .add("image", DataTypes.BinaryType, true);

    @BeforeAll
    static void start() {
        spark = SparkSession.builder()
                .master("local[2]")
                .appName("MetalrFunctionsTest")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2")
                .getOrCreate();
        MetalrFunctions.register(spark);

        int[] g = new int[6 * 5];
        for (int i = 0; i < g.length; i++) {
            g[i] = i * 8;
        }
        grayPng = TestImages.png(TestImages.gray8(5, 6, g));
        BufferedImage rgb = TestImages.noiseRgb(7, 4, 3);
        rgbPng = TestImages.png(rgb);
        rgbJpeg = TestImages.jpeg(TestImages.noiseRgb(16, 16, 4), 0.9f);
        Dataset<Row> images = spark.createDataFrame(List.of(
                RowFactory.create(1, grayPng),
                RowFactory.create(2, rgbPng),
                RowFactory.create(3, rgbJpeg),
                RowFactory.create(4, null)), SCHEMA);
        images.createOrReplaceTempView("images");
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    @Test
    void decodeAndShapeMatchTheJavaDecoder() {
        Map<Integer, Row> rows = byId(spark.sql(
                "SELECT id, metalr_decode(image) AS v, metalr_image_shape(image) AS s FROM images"));
        assertEquals(4, rows.size());
        byte[][] bytes = {grayPng, rgbPng, rgbJpeg};
        for (int id = 1; id <= 3; id++) {
            Image expected = ImageDecoder.decode(bytes[id - 1], "test");
            Row r = rows.get(id);
            assertArrayEquals(expected.data(), floats(r.getList(1)), "row " + id);
            assertEquals(List.of(expected.channels(), expected.height(), expected.width()), r.getList(2));
        }
        assertEquals(List.of(1, 6, 5), rows.get(1).getList(2));
        assertEquals(List.of(3, 4, 7), rows.get(2).getList(2));
        assertTrue(rows.get(4).isNullAt(1));
        assertTrue(rows.get(4).isNullAt(2));
    }

    @Test
    void preprocessMatchesThePreprocessor() {
        Map<Integer, Row> rows = byId(spark.sql(
                "SELECT id, metalr_preprocess(image, 8, 9, 3) AS p, metalr_preprocess(image, 4, 4, 1) AS q "
                        + "FROM images"));
        byte[][] bytes = {grayPng, rgbPng, rgbJpeg};
        for (int id = 1; id <= 3; id++) {
            Image decoded = ImageDecoder.decode(bytes[id - 1], "test");
            Image p = Preprocessor.of(8, 9, 3, 0.5f, 0.5f).apply(decoded, "test");
            Image q = Preprocessor.of(4, 4, 1, 0.5f, 0.5f).apply(decoded, "test");
            assertArrayEquals(p.data(), floats(rows.get(id).getList(1)), "row " + id);
            assertArrayEquals(q.data(), floats(rows.get(id).getList(2)), "row " + id);
            assertArrayEquals(p.data(), MetalrFunctions.preprocess(bytes[id - 1], 8, 9, 3));
        }
        assertEquals(3 * 8 * 9, rows.get(1).getList(1).size());
        assertTrue(rows.get(4).isNullAt(1));
    }

    @Test
    void resultTypesAreArraysOfFloatAndInt() {
        StructType schema = spark.sql("SELECT metalr_decode(image) AS v, metalr_image_shape(image) AS s, "
                + "metalr_preprocess(image, 2, 2, 1) AS p FROM images").schema();
        assertEquals(DataTypes.createArrayType(DataTypes.FloatType, false), schema.apply("v").dataType());
        assertEquals(DataTypes.createArrayType(DataTypes.IntegerType, false), schema.apply("s").dataType());
        assertEquals(DataTypes.createArrayType(DataTypes.FloatType, false), schema.apply("p").dataType());
    }

    @Test
    void corruptRowFailsNamingTheFunctionAndLength() {
        byte[] corrupt = Arrays.copyOf(rgbPng, rgbPng.length - 20);
        spark.createDataFrame(List.of(RowFactory.create(1, grayPng), RowFactory.create(2, corrupt)), SCHEMA)
                .createOrReplaceTempView("corrupt_images");
        for (String fn : List.of(MetalrFunctions.DECODE, MetalrFunctions.IMAGE_SHAPE)) {
            Exception e = assertThrows(Exception.class,
                    () -> spark.sql("SELECT " + fn + "(image) FROM corrupt_images").collectAsList());
            String all = messages(e);
            assertTrue(all.contains(fn + " on a row's image of " + corrupt.length + " bytes"), all);
            assertTrue(all.contains("BadRecordException"), all);
        }
        Exception e = assertThrows(Exception.class, () -> spark.sql(
                "SELECT metalr_preprocess(image, 4, 4, 1) FROM corrupt_images").collectAsList());
        assertTrue(messages(e).contains("metalr_preprocess on a row's image of " + corrupt.length + " bytes"),
                messages(e));
    }

    @Test
    void aPixelCapGivenAtRegistrationReachesTheExecutors() {
        try {
            // the gray PNG is 5x6 = 30 pixels; rgbPng 7x4 = 28
            MetalrFunctions.register(spark, 29);
            Row ok = spark.sql("SELECT metalr_image_shape(image) FROM images WHERE id = 2").first();
            assertEquals(List.of(3, 4, 7), ok.getList(0));
            for (String fn : List.of(MetalrFunctions.DECODE, MetalrFunctions.IMAGE_SHAPE)) {
                Exception e = assertThrows(Exception.class,
                        () -> spark.sql("SELECT " + fn + "(image) FROM images WHERE id = 1").collectAsList());
                assertTrue(messages(e).contains("declares 5x6 pixels") && messages(e).contains("cap of 29"), messages(e));
            }
        } finally {
            MetalrFunctions.register(spark);
        }
    }

    @Test
    void nullArgumentsGiveNullAndBadSizesFail() {
        Row r = spark.sql("SELECT metalr_decode(CAST(NULL AS BINARY)), metalr_image_shape(CAST(NULL AS BINARY)), "
                + "metalr_preprocess(image, CAST(NULL AS INT), 4, 1) FROM images WHERE id = 1").first();
        assertTrue(r.isNullAt(0) && r.isNullAt(1) && r.isNullAt(2));
        assertNull(MetalrFunctions.decode(null));
        Exception e = assertThrows(Exception.class, () -> spark.sql(
                "SELECT metalr_preprocess(image, 0, 4, 1) FROM images WHERE id = 1").collectAsList());
        assertTrue(messages(e).contains("metalr_preprocess: "), messages(e));
    }

    private static Map<Integer, Row> byId(Dataset<Row> df) {
        Map<Integer, Row> rows = new TreeMap<>();
        for (Row r : df.collectAsList()) {
            rows.put(r.getInt(0), r);
        }
        return rows;
    }

    private static float[] floats(List<Object> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (Float) values.get(i);
        }
        return out;
    }

    /** Every message in the cause chain: Spark wraps a UDF's exception once or twice. */
    private static String messages(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            sb.append(c.getClass().getName()).append(": ").append(c.getMessage()).append('\n');
        }
        return sb.toString();
    }
}
