package io.metalr.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.metalr.TestImages;
import io.metalr.TestSpark;
import io.metalr.cli.ExitCodes;
import io.metalr.cli.Main;
import io.metalr.model.ModelBundle;
import io.metalr.nn.Weights;
import io.metalr.udf.image.ImageDecoder;
import io.metalr.udf.image.Preprocessor;
import io.metalr.udf.ml.MetalrClassifier;
import io.metalr.udf.predict.Scorer;
import io.metalr.udf.predict.Scorers;
import io.metalr.udf.sql.MetalrFunctions;

import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;


/**
 * Inference end to end on a tiny model trained here on a folder of PNGs: the SQL function and the
 * ML transformer on Spark local[2] against a single-process forward pass, and the evaluate and
 * predict commands.
 */
class InferenceTest {

    private static final int SIDE = 12;
    private static final int PER_CLASS = 18;
    private static final List<String> CLASSES = List.of("bottom", "top");

    @TempDir
    static Path tmp;

    private static Path images;
    private static Path run;
    private static ModelBundle bundle;
    /** Every training image by its path relative to {@link #images}. */
    private static final Map<String, byte[]> FILES = new LinkedHashMap<>();

    @BeforeAll
    static void trainTinyModel() throws IOException {
        TestSpark.session(); // the test JVM's one local[2] session, before any command starts one
        images = tmp.resolve("images");
        Random rnd = new Random(7);
        for (String cls : CLASSES) {
            for (int i = 0; i < PER_CLASS; i++) {
                String name = cls + "/img" + i + ".png";
                byte[] png = grayPng(cls.equals("top"), rnd);
                FILES.put(name, png);
                Files.createDirectories(images.resolve(cls));
                Files.write(images.resolve(name), png);
            }
        }
        run = tmp.resolve("run");
        int code = Main.execute("train", "--set", "device=cpu", "--set", "model.name=reference_cnn",
                "--set", "data.format=folder", "--set", "data.path=" + images, "--set", "train.epochs=6",
                "--set", "train.batch_size=8", "--set", "train.lr=0.03", "--set", "train.log_every=0",
                "--set", "meta.hold_head_epochs=1", "--set", "train.select_metric=accuracy",
                "--set", "run.dir=" + run);
        assertEquals(ExitCodes.OK, code);
        bundle = ModelBundle.read(run.toString());
    }

    /** A gray image whose top (or bottom) half is bright, with noise. */
    private static byte[] grayPng(boolean brightTop, Random rnd) {
        BufferedImage img = new BufferedImage(SIDE, SIDE, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < SIDE; y++) {
            for (int x = 0; x < SIDE; x++) {
                boolean bright = (y < SIDE / 2) == brightTop;
                img.getRaster().setSample(x, y, 0, (bright ? 170 : 40) + rnd.nextInt(60));
            }
        }
        return TestImages.png(img);
    }

    /** An RGB image of another size: the model's preprocessing converts and resizes it. */
    private static byte[] rgbPng(int side, int seed) {
        Random rnd = new Random(seed);
        BufferedImage img = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                img.setRGB(x, y, rnd.nextInt(1 << 24));
            }
        }
        return TestImages.png(img);
    }

    /** The single-process forward pass: decode, the model's preprocessing, one batch on the CPU. */
    private static Map<String, float[]> reference(Map<String, byte[]> encoded) {
        Preprocessor pre = bundle.preprocessor();
        int per = pre.channels() * pre.height() * pre.width();
        List<String> names = new ArrayList<>(encoded.keySet());
        float[] flat = new float[names.size() * per];
        for (int i = 0; i < names.size(); i++) {
            String n = names.get(i);
            System.arraycopy(pre.apply(ImageDecoder.decode(encoded.get(n), n), n).data(), 0, flat, i * per, per);
        }
        int k = bundle.classes().size();
        float[] p;
        try (Weights w = Weights.fromHost(bundle.network(), bundle.weights(), Device.cpu());
                NDManager m = w.manager().newSubManager()) {
            NDArray x = m.create(FloatBuffer.wrap(flat), new Shape(names.size(), pre.channels(), pre.height(), pre.width()));
            p = bundle.network().forward(w.lookup(), x, false).softmax(1).toFloatArray();
        }
        Map<String, float[]> out = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            float[] row = new float[k];
            System.arraycopy(p, i * k, row, 0, k);
            out.put(names.get(i), row);
        }
        return out;
    }

    private static int argmax(float[] p) {
        int best = 0;
        for (int c = 1; c < p.length; c++) {
            if (p[c] > p[best]) {
                best = c;
            }
        }
        return best;
    }

    private static float[] floats(List<?> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((Number) values.get(i)).floatValue();
        }
        return out;
    }

    private static void assertPrediction(String what, float[] expected, float[] probabilities, int label, String className) {
        assertArrayEquals(expected, probabilities, 1e-5f, what);
        assertEquals(argmax(expected), label, what);
        assertEquals(bundle.classes().get(argmax(expected)), className, what);
    }

    // ------------------------------------------------------------------ SQL function and transformer

    @Test
    void sqlFunctionAndTransformerGiveTheSingleProcessPredictions() throws IOException {
        SparkSession spark = TestSpark.session();
        Map<String, byte[]> encoded = new LinkedHashMap<>(FILES);
        encoded.put("rgb16.png", rgbPng(16, 1));
        encoded.put("rgb9.png", rgbPng(9, 2));
        Map<String, float[]> expected = reference(encoded);

        StructType schema = new StructType().add("path", DataTypes.StringType).add("content", DataTypes.BinaryType);
        List<Row> rows = new ArrayList<>();
        encoded.forEach((n, b) -> rows.add(RowFactory.create(n, b)));
        rows.add(RowFactory.create("null image", null));
        Dataset<Row> table = spark.createDataFrame(rows, schema).repartition(2);

        // metalr_predict in SQL
        MetalrFunctions.registerPredict(spark, run.toString());
        table.createOrReplaceTempView("inference_images");
        List<Row> sql = spark.sql("SELECT path, metalr_predict(content) AS p FROM inference_images").collectAsList();
        assertEquals(encoded.size() + 1, sql.size());
        for (Row r : sql) {
            String path = r.getString(0);
            if (path.equals("null image")) {
                assertTrue(r.isNullAt(1));
                continue;
            }
            Row p = r.getStruct(1);
            assertPrediction("metalr_predict " + path, expected.get(path), floats(p.getList(0)), p.getInt(1), p.getString(2));
        }
        // the struct's fields by name, as a user would write them
        Row first = spark.sql("SELECT p.label, p.class, size(p.probabilities) FROM"
                + " (SELECT metalr_predict(content) AS p FROM inference_images WHERE path = 'top/img0.png')").first();
        assertEquals(bundle.classes().get(first.getInt(0)), first.getString(1));
        assertEquals(2, first.getInt(2));

        // the transformer: several batches per partition, the last one partial
        MetalrClassifier classifier = new MetalrClassifier().setModelDir(run.toString()).setInputCol("content").setBatchSize(3);
        Dataset<Row> scored = classifier.transform(table);
        assertEquals(List.of("path", "content", "probability", "prediction", "predicted_class"), List.of(scored.columns()));
        assertEquals(2, scored.rdd().getNumPartitions());
        checkTransformed(scored.collectAsList(), expected);

        // in a pipeline, saved and loaded again
        PipelineModel pipeline = new Pipeline().setStages(new PipelineStage[] {classifier}).fit(table);
        String saved = tmp.resolve("pipeline").toString();
        pipeline.write().overwrite().save(saved);
        PipelineModel loaded = PipelineModel.load(saved);
        MetalrClassifier stage = (MetalrClassifier) loaded.stages()[0];
        assertEquals(run.toString(), stage.getModelDir());
        assertEquals(3, stage.getBatchSize());
        checkTransformed(loaded.transform(table).collectAsList(), expected);

        // metalr_predict_pixels on values already preprocessed for the model
        Preprocessor pre = bundle.preprocessor();
        StructType pixelSchema = new StructType().add("path", DataTypes.StringType)
                .add("x", DataTypes.createArrayType(DataTypes.FloatType, false));
        List<Row> pixelRows = new ArrayList<>();
        encoded.forEach((n, b) -> pixelRows.add(RowFactory.create(n, pre.apply(ImageDecoder.decode(b, n), n).data())));
        spark.createDataFrame(pixelRows, pixelSchema).createOrReplaceTempView("inference_pixels");
        for (Row r : spark.sql("SELECT path, metalr_predict_pixels(x) AS p FROM inference_pixels").collectAsList()) {
            Row p = r.getStruct(1);
            assertPrediction("metalr_predict_pixels " + r.getString(0), expected.get(r.getString(0)),
                    floats(p.getList(0)), p.getInt(1), p.getString(2));
        }
    }

    private static void checkTransformed(List<Row> out, Map<String, float[]> expected) {
        assertEquals(expected.size() + 1, out.size());
        for (Row r : out) {
            String path = r.getString(0);
            if (path.equals("null image")) {
                assertTrue(r.isNullAt(2) && r.isNullAt(3) && r.isNullAt(4));
                continue;
            }
            assertPrediction("transformer " + path, expected.get(path), floats(r.getList(2)), r.getInt(3), r.getString(4));
        }
    }

    @Test
    void transformerFailsNamingTheBadRowOrSkipsOrKeepsIt() {
        SparkSession spark = TestSpark.session();
        StructType schema = new StructType().add("path", DataTypes.StringType).add("content", DataTypes.BinaryType);
        byte[] good = FILES.get("top/img1.png");
        byte[] cut = java.util.Arrays.copyOf(good, good.length / 2);
        Dataset<Row> table = spark.createDataFrame(List.of(RowFactory.create("good.png", good),
                RowFactory.create("cut-in-half.png", cut)), schema).coalesce(1);
        MetalrClassifier classifier = new MetalrClassifier().setModelDir(run.toString()).setInputCol("content");
        Exception e = assertThrows(Exception.class, () -> classifier.transform(table).collectAsList());
        assertTrue(String.valueOf(e.getMessage()).contains("cut-in-half.png"), e.getMessage());

        List<Row> skipped = classifier.setHandleInvalid("skip").transform(table).collectAsList();
        assertEquals(List.of("good.png"), skipped.stream().map(r -> r.getString(0)).toList());
        List<Row> kept = classifier.setHandleInvalid("keep").transform(table).collectAsList();
        assertEquals(2, kept.size());
        assertFalse(kept.get(0).isNullAt(3));
        assertTrue(kept.get(1).isNullAt(2) && kept.get(1).isNullAt(3) && kept.get(1).isNullAt(4));

        assertThrows(IllegalArgumentException.class, () -> classifier.setInputCol("nope").transform(table));
        assertThrows(IllegalArgumentException.class, () -> classifier.setInputCol("path").transform(table));
    }

    @Test
    void oneScorerPerModelPerJvmSharedSafelyByThreads() throws Exception {
        String key = run.resolve("model") + "/"; // a path string no other test uses
        Map<String, float[]> expected = reference(FILES);
        Preprocessor pre = bundle.preprocessor();
        List<String> names = new ArrayList<>(FILES.keySet());
        float[][] inputs = new float[names.size()][];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = pre.apply(ImageDecoder.decode(FILES.get(names.get(i)), names.get(i)), names.get(i)).data();
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Scorer>> opened = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                opened.add(pool.submit(() -> Scorers.forModel(key)));
            }
            Scorer one = opened.get(0).get();
            for (Future<Scorer> f : opened) {
                assertSame(one, f.get());
            }
            assertNotSame(one, Scorers.forModel(run.toString()));
            assertEquals(CLASSES, one.classes());
            // concurrent batches of different sizes give each image its single-process probabilities
            List<Future<float[][]>> scored = new ArrayList<>();
            for (int t = 0; t < 12; t++) {
                int from = t % 5;
                int to = Math.min(inputs.length, from + 1 + 3 * t);
                float[][] batch = java.util.Arrays.copyOfRange(inputs, from, to);
                scored.add(pool.submit(() -> one.probabilities(batch)));
            }
            for (int t = 0; t < 12; t++) {
                int from = t % 5;
                float[][] got = scored.get(t).get();
                for (int i = 0; i < got.length; i++) {
                    assertArrayEquals(expected.get(names.get(from + i)), got[i], 1e-5f, names.get(from + i));
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    // ------------------------------------------------------------------ evaluate

    @Test
    void evaluateGivesTheTrainingRunsTestMetrics() throws Exception {
        ObjectMapper json = new ObjectMapper();
        JsonNode summary = json.readTree(run.resolve("summary.json").toFile());
        Path metrics = tmp.resolve("eval/metrics.json");
        // the run's own config.conf is found next to the model folder
        assertEquals(ExitCodes.OK, Main.execute("evaluate", "--model", run.resolve("model").toString(),
                "--output", metrics.toString()));
        JsonNode m = json.readTree(metrics.toFile()).get("metrics");
        JsonNode test = summary.get("test");
        assertEquals(test.get("n").asLong(), m.get("n").asLong());
        assertEquals(test.get("accuracy").asDouble(), m.get("accuracy").asDouble(), 1e-12);
        assertEquals(test.get("auc").asDouble(), m.get("auc").asDouble(), 1e-9);
        assertEquals(test.get("loss").asDouble(), m.get("loss").asDouble(), 1e-6);
        try (Stream<Path> files = Files.list(metrics.getParent())) {
            assertEquals(List.of("metrics.json"), files.map(p -> p.getFileName().toString()).toList());
        }

        // an explicit config, another split
        assertEquals(ExitCodes.OK, Main.execute("evaluate", "--model", run.toString(), "--config",
                run.resolve("config.conf").toString(), "--split", "all", "--output", metrics.toString()));
        JsonNode all = json.readTree(metrics.toFile());
        assertEquals("all", all.get("split").asText());
        assertEquals(2 * PER_CLASS, all.get("metrics").get("n").asInt());
    }

    @Test
    void evaluateRefusesDataThatDoesNotFitTheModel() throws IOException {
        Output size = Output.capture(true, () -> Main.execute("evaluate", "--model", run.toString(),
                "--set", "data.image_size=16"));
        assertEquals(ExitCodes.BAD_CONFIG, size.code);
        assertTrue(size.text.contains("1x16x16") && size.text.contains("1x12x12"), size.text);

        Output mean = Output.capture(true, () -> Main.execute("evaluate", "--model", run.toString(),
                "--set", "data.mean=[0.25]"));
        assertEquals(ExitCodes.BAD_CONFIG, mean.code);
        assertTrue(mean.text.contains("mean [0.25]") && mean.text.contains("mean [0.5]"), mean.text);

        Path renamed = tmp.resolve("renamed-classes");
        for (Map.Entry<String, byte[]> f : FILES.entrySet()) {
            Path to = renamed.resolve(f.getKey().replace("bottom/", "dark/").replace("top/", "light/"));
            Files.createDirectories(to.getParent());
            Files.write(to, f.getValue());
        }
        Output classes = Output.capture(true, () -> Main.execute("evaluate", "--model", run.toString(),
                "--set", "data.path=" + renamed));
        assertEquals(ExitCodes.BAD_CONFIG, classes.code);
        assertTrue(classes.text.contains("[dark, light]") && classes.text.contains("[bottom, top]"), classes.text);

        assertEquals(ExitCodes.BAD_CONFIG, Main.execute("evaluate", "--model", run.toString(), "--split", "holdout"));
    }

    // ------------------------------------------------------------------ predict

    @Test
    void predictWritesOneRowPerImage() throws Exception {
        SparkSession spark = TestSpark.session();
        Map<String, float[]> expected = reference(FILES);
        Path out = tmp.resolve("predictions/csv");
        Output done = Output.capture(false, () -> Main.execute("predict", "--model", run.toString(),
                "--input", images.toString(), "--output", out.toString(), "--batch-size", "5"));
        assertEquals(ExitCodes.OK, done.code, done.text);
        Dataset<Row> csv = spark.read().option("header", "true").option("inferSchema", "true").csv(out.toString());
        assertEquals(List.of("path", "class", "label", "prob_bottom", "prob_top"), List.of(csv.columns()));
        List<Row> rows = csv.collectAsList();
        assertEquals(FILES.size(), rows.size());
        for (Row r : rows) {
            String name = relative(r.getString(0));
            float[] p = {((Number) r.get(3)).floatValue(), ((Number) r.get(4)).floatValue()};
            assertPrediction("predict csv " + name, expected.get(name), p, r.getInt(2), r.getString(1));
        }
        try (Stream<Path> files = Files.list(out.getParent())) {
            assertEquals(List.of("csv"), files.map(p -> p.getFileName().toString()).toList(), "temporary output left behind");
        }

        // an existing output is not replaced unless asked; with --overwrite, only an earlier prediction output is
        assertEquals(ExitCodes.BAD_CONFIG, Main.execute("predict", "--model", run.toString(),
                "--input", images.toString(), "--output", out.toString()));
        assertEquals(ExitCodes.OK, Main.execute("predict", "--model", run.toString(),
                "--input", images.toString(), "--output", out.toString(), "--overwrite"));
        Path study = tmp.resolve("study");
        Files.createDirectories(study.resolve("png"));
        Files.write(study.resolve("png/scan.png"), FILES.values().iterator().next());
        Files.writeString(study.resolve("notes.txt"), "the study's own file");
        assertEquals(ExitCodes.BAD_CONFIG, Main.execute("predict", "--model", run.toString(),
                "--input", study.resolve("png").toString(), "--output", study.toString(), "--overwrite"),
                "an output that contains the input");
        Path other = tmp.resolve("other-data");
        Files.createDirectories(other);
        Files.writeString(other.resolve("keep.txt"), "not a prediction output");
        assertEquals(ExitCodes.BAD_CONFIG, Main.execute("predict", "--model", run.toString(),
                "--input", images.toString(), "--output", other.toString(), "--overwrite"),
                "an existing folder that predict did not write");
        assertTrue(Files.exists(study.resolve("png/scan.png")) && Files.exists(study.resolve("notes.txt"))
                && Files.exists(other.resolve("keep.txt")), "a refused --overwrite deleted data");
        Path parquet = tmp.resolve("predictions/parquet");
        assertEquals(ExitCodes.OK, Main.execute("predict", "--model", run.toString(), "--input",
                images.resolve("top").toString(), "--input", images.resolve("bottom/img0.png").toString(),
                "--output", parquet.toString(), "--format", "parquet"));
        List<Row> pq = spark.read().parquet(parquet.toString()).collectAsList();
        assertEquals(PER_CLASS + 1, pq.size());
        for (Row r : pq) {
            String name = relative(r.getString(0));
            assertPrediction("predict parquet " + name, expected.get(name), floats(r.getList(3)), r.getInt(2), r.getString(1));
        }
    }

    @Test
    void predictFailsNamingACorruptImageOrSkipsIt() throws Exception {
        Path mixed = tmp.resolve("mixed");
        for (Map.Entry<String, byte[]> f : FILES.entrySet()) {
            Files.createDirectories(mixed.resolve(f.getKey()).getParent());
            Files.write(mixed.resolve(f.getKey()), f.getValue());
        }
        byte[] good = FILES.get("top/img2.png");
        Files.write(mixed.resolve("top/broken.png"), java.util.Arrays.copyOf(good, good.length - 20));
        Files.writeString(mixed.resolve("top/notes.txt"), "not an image, not picked up");
        Path out = tmp.resolve("mixed-out");

        Output failed = Output.capture(true, () -> Main.execute("predict", "--model", run.toString(),
                "--input", mixed.toString(), "--output", out.toString()));
        assertEquals(ExitCodes.BAD_DATA, failed.code, failed.text);
        assertTrue(failed.text.contains("metalr: ") && failed.text.contains("broken.png"), failed.text);
        assertFalse(Files.exists(out));
        try (Stream<Path> files = Files.list(tmp)) {
            assertFalse(files.anyMatch(p -> p.getFileName().toString().startsWith(".mixed-out.tmp")), "temporary output left behind");
        }

        Output skipped = Output.capture(false, () -> Main.execute("predict", "--model", run.toString(),
                "--input", mixed.toString(), "--output", out.toString(), "--on-bad-record", "skip"));
        assertEquals(ExitCodes.OK, skipped.code, skipped.text);
        // counted, not named: an image's path may name the patient (debug logging names it)
        assertTrue(skipped.text.contains("skipped 1 bad image") && !skipped.text.contains("broken.png"), skipped.text);
        assertEquals(FILES.size(), TestSpark.session().read().option("header", "true").csv(out.toString()).count());

        // no images at all, or no such input: bad data too
        Path empty = Files.createDirectories(tmp.resolve("empty/sub"));
        Files.writeString(empty.resolve("readme.txt"), "no images here");
        Output none = Output.capture(true, () -> Main.execute("predict", "--model", run.toString(),
                "--input", empty.getParent().toString(), "--output", tmp.resolve("empty-out").toString()));
        assertEquals(ExitCodes.BAD_DATA, none.code, none.text);
        assertTrue(none.text.contains("no PNG or JPEG image"), none.text);
        Output missing = Output.capture(true, () -> Main.execute("predict", "--model", run.toString(),
                "--input", tmp.resolve("nowhere").toString(), "--output", tmp.resolve("nowhere-out").toString()));
        assertEquals(ExitCodes.BAD_DATA, missing.code, missing.text);
        assertTrue(missing.text.contains("nowhere: no such file or directory"), missing.text);
    }

    // ------------------------------------------------------------------ a broken model directory

    @Test
    void aModelWithoutMetadataFailsNamingTheFile() throws Exception {
        Path broken = tmp.resolve("no-metadata");
        Files.createDirectories(broken);
        Files.copy(run.resolve("model").resolve(ModelBundle.WEIGHTS), broken.resolve(ModelBundle.WEIGHTS));

        Output evaluate = Output.capture(true, () -> Main.execute("evaluate", "--model", broken.toString()));
        assertEquals(ExitCodes.BAD_DATA, evaluate.code);
        assertTrue(evaluate.text.contains(broken.toString()) && evaluate.text.contains(ModelBundle.METADATA), evaluate.text);

        Output predict = Output.capture(true, () -> Main.execute("predict", "--model", broken.toString(),
                "--input", images.toString(), "--output", tmp.resolve("never").toString()));
        assertEquals(ExitCodes.BAD_DATA, predict.code);
        assertTrue(predict.text.contains(broken.toString()) && predict.text.contains(ModelBundle.METADATA), predict.text);
        assertFalse(Files.exists(tmp.resolve("never")));

        UncheckedIOException e = assertThrows(UncheckedIOException.class,
                () -> MetalrFunctions.registerPredict(TestSpark.session(), broken.toString()));
        assertInstanceOf(FileNotFoundException.class, e.getCause());
        assertTrue(e.getMessage().contains(ModelBundle.METADATA), e.getMessage());
        assertThrows(UncheckedIOException.class,
                () -> new MetalrClassifier().setModelDir(broken.toString()).setInputCol("content")
                        .transform(TestSpark.session().createDataFrame(List.of(), new StructType().add("content", DataTypes.BinaryType))));
    }

    /** "file:/.../images/top/img3.png" as "top/img3.png". */
    private static String relative(String uri) {
        String s = uri.replace("file://", "").replace("file:", "");
        String root = images.toString() + "/";
        int at = s.indexOf(root);
        assertTrue(at >= 0, uri);
        return s.substring(at + root.length());
    }

    /** A command's exit code and what it printed to stderr or stdout. */
    private record Output(int code, String text) {

        interface Run {
            int run() throws Exception;
        }

        static Output capture(boolean stderr, Run command) {
            PrintStream saved = stderr ? System.err : System.out;
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            PrintStream tee = new PrintStream(buf, true, StandardCharsets.UTF_8);
            if (stderr) {
                System.setErr(tee);
            } else {
                System.setOut(tee);
            }
            int code;
            try {
                code = command.run();
            } catch (Exception e) {
                throw new AssertionError(e);
            } finally {
                if (stderr) {
                    System.setErr(saved);
                } else {
                    System.setOut(saved);
                }
            }
            String text = buf.toString(StandardCharsets.UTF_8);
            saved.print(text);
            return new Output(code, text);
        }
    }
}
