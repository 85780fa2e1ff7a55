package io.metalr.udf.ml;

import io.metalr.udf.image.ImageDecoder;
import io.metalr.udf.predict.Scorers;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReadable;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * A trained MetaLR model as a Spark ML {@link Transformer}, for pipelines and for scoring large
 * tables: appends the class probabilities ({@code ARRAY<FLOAT>}), the predicted label index
 * ({@code INT}) and the predicted class name ({@code STRING}) to each row.
 *
 * <pre>
 *   Dataset&lt;Row&gt; images = spark.read().format("binaryFile").load("hdfs:///scans/");
 *   Dataset&lt;Row&gt; scored = new MetalrClassifier()
 *           .setModelDir("hdfs:///runs/metalr/model")
 *           .setInputCol("content")
 *           .transform(images);
 * </pre>
 *
 * <p>Each partition is scored in batches of {@code batchSize} rows: images are decoded and
 * preprocessed as the model was trained, then one forward pass per batch. The model is loaded
 * once per JVM ({@link Scorers}), shared by the executor's tasks, and runs on the task's GPU when
 * Spark gave it one (CPU otherwise). The input column holds encoded PNG/JPEG bytes
 * ({@code BINARY}) or values already preprocessed for the model ({@code ARRAY<FLOAT>}, C,Y,X).
 * A corrupt image fails the job with a message naming the row by {@code idCol} (default
 * {@code path}, as {@code binaryFile} names files) unless {@code handleInvalid} is {@code skip}
 * (the row is dropped) or {@code keep} (null outputs).
 *
 * <p>Persisted with its parameters only ({@link DefaultParamsWritable}); the model itself stays in
 * {@code modelDir}.
 */
public final class MetalrClassifier extends Transformer implements DefaultParamsWritable {

    private static final long serialVersionUID = 1L;

    private static final DefaultParamsReadable<MetalrClassifier> READABLE = new DefaultParamsReadable<>() {};

    private final String uid;
    private final Param<String> modelDir;
    private final Param<String> inputCol;
    private final Param<String> idCol;
    private final Param<String> probabilityCol;
    private final Param<String> predictionCol;
    private final Param<String> predictedClassCol;
    private final IntParam batchSize;
    private final Param<String> handleInvalid;
    private final LongParam maxImagePixels;

    public MetalrClassifier() {
        this(Identifiable.randomUID("metalrClassifier"));
    }

    /** With a given uid; Spark ML's persistence and {@link #copy} construct stages this way. */
    public MetalrClassifier(String uid) {
        this.uid = uid; // the params below read it
        modelDir = new Param<>(this, "modelDir", "the trained model: a model or run directory, any Hadoop path");
        inputCol = new Param<>(this, "inputCol", "encoded PNG/JPEG bytes (BINARY) or preprocessed values (ARRAY<FLOAT>)");
        idCol = new Param<>(this, "idCol", "a column that names rows in error messages, used when present");
        probabilityCol = new Param<>(this, "probabilityCol", "output: class probabilities, ARRAY<FLOAT>");
        predictionCol = new Param<>(this, "predictionCol", "output: predicted label index, INT");
        predictedClassCol = new Param<>(this, "predictedClassCol", "output: predicted class name, STRING");
        batchSize = new IntParam(this, "batchSize", "rows per forward pass", ParamValidators.gtEq(1));
        handleInvalid = new Param<>(this, "handleInvalid",
                "a corrupt image or values that do not fit the model: error (fail naming the row), skip (drop the row)"
                        + " or keep (null outputs)",
                ParamValidators.inArray(HandleInvalid.NAMES));
        setDefault(inputCol, "image");
        setDefault(idCol, "path");
        setDefault(probabilityCol, "probability");
        setDefault(predictionCol, "prediction");
        setDefault(predictedClassCol, "predicted_class");
        setDefault(batchSize, 64);
        maxImagePixels = new LongParam(this, "maxImagePixels",
                "the largest width x height of an input image, checked before it is decoded (larger: invalid)",
                ParamValidators.inRange(1, ImageDecoder.MAX_PIXELS));
        setDefault(handleInvalid, "error");
        setDefault(maxImagePixels, ImageDecoder.DEFAULT_MAX_PIXELS);
    }

    @Override
    public String uid() {
        return uid;
    }

    // Spark ML finds params by these method names (persistence, explainParams): keep them equal.

    public Param<String> modelDir() {
        return modelDir;
    }

    public Param<String> inputCol() {
        return inputCol;
    }

    public Param<String> idCol() {
        return idCol;
    }

    public Param<String> probabilityCol() {
        return probabilityCol;
    }

    public Param<String> predictionCol() {
        return predictionCol;
    }

    public Param<String> predictedClassCol() {
        return predictedClassCol;
    }

    public IntParam batchSize() {
        return batchSize;
    }

    public Param<String> handleInvalid() {
        return handleInvalid;
    }

    public MetalrClassifier setModelDir(String value) {
        set(modelDir, value);
        return this;
    }

    public MetalrClassifier setInputCol(String value) {
        set(inputCol, value);
        return this;
    }

    public MetalrClassifier setIdCol(String value) {
        set(idCol, value);
        return this;
    }

    public MetalrClassifier setProbabilityCol(String value) {
        set(probabilityCol, value);
        return this;
    }

    public MetalrClassifier setPredictionCol(String value) {
        set(predictionCol, value);
        return this;
    }

    public MetalrClassifier setPredictedClassCol(String value) {
        set(predictedClassCol, value);
        return this;
    }

    public MetalrClassifier setBatchSize(int value) {
        set(batchSize, value);
        return this;
    }

    public LongParam maxImagePixels() {
        return maxImagePixels;
    }

    public MetalrClassifier setMaxImagePixels(long value) {
        set(maxImagePixels, value);
        return this;
    }

    public long getMaxImagePixels() {
        return (Long) getOrDefault(maxImagePixels);
    }

    public MetalrClassifier setHandleInvalid(String value) {
        set(handleInvalid, value.toLowerCase(Locale.ROOT));
        return this;
    }

    public String getModelDir() {
        return getOrDefault(modelDir);
    }

    public String getInputCol() {
        return getOrDefault(inputCol);
    }

    public int getBatchSize() {
        return (Integer) getOrDefault(batchSize);
    }

    public String getHandleInvalid() {
        return getOrDefault(handleInvalid);
    }

    @Override
    public StructType transformSchema(StructType schema) {
        if (!isDefined(modelDir) || getModelDir().isBlank()) {
            throw new IllegalArgumentException(uid + ": modelDir is not set (the trained model's directory)");
        }
        String in = getInputCol();
        if (!Arrays.asList(schema.fieldNames()).contains(in)) {
            throw new IllegalArgumentException(uid + ": input column '" + in + "' is not among "
                    + Arrays.toString(schema.fieldNames()));
        }
        DataType type = schema.apply(in).dataType();
        if (!type.equals(DataTypes.BinaryType) && !isFloatArray(type)) {
            throw new IllegalArgumentException(uid + ": input column '" + in + "' is " + type.simpleString()
                    + "; expected binary (an encoded image) or array<float> (preprocessed values)");
        }
        List<String> outputs = List.of(getOrDefault(probabilityCol), getOrDefault(predictionCol), getOrDefault(predictedClassCol));
        for (String out : outputs) {
            if (Arrays.asList(schema.fieldNames()).contains(out)) {
                throw new IllegalArgumentException(uid + ": output column '" + out + "' already exists");
            }
        }
        if (outputs.stream().distinct().count() < outputs.size()) {
            throw new IllegalArgumentException(uid + ": output columns must differ, got " + outputs);
        }
        // nullable: a null input (or a kept invalid row) has null outputs
        return schema
                .add(new StructField(outputs.get(0), DataTypes.createArrayType(DataTypes.FloatType, false), true,
                        org.apache.spark.sql.types.Metadata.empty()))
                .add(outputs.get(1), DataTypes.IntegerType, true)
                .add(outputs.get(2), DataTypes.StringType, true);
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType in = dataset.schema();
        StructType out = transformSchema(in);
        String model = getModelDir();
        Scorers.forModel(model); // a missing or broken model fails here, on the driver, naming its file
        int inputIndex = in.fieldIndex(getInputCol());
        boolean pixels = isFloatArray(in.apply(inputIndex).dataType());
        String id = getOrDefault(idCol);
        int idIndex = Arrays.asList(in.fieldNames()).indexOf(id);
        int batch = getBatchSize();
        HandleInvalid onInvalid = HandleInvalid.parse(getHandleInvalid());
        long maxPixels = getMaxImagePixels();
        // the function captures plain values only, never this stage
        MapPartitionsFunction<Row, Row> score =
                rows -> new ScoringIterator(rows, model, inputIndex, pixels, idIndex, batch, onInvalid, maxPixels);
        return dataset.toDF().mapPartitions(score, Encoders.row(out));
    }

    @Override
    public MetalrClassifier copy(ParamMap extra) {
        return defaultCopy(extra);
    }

    /** Reads a stage {@link #save saved} alone or inside a pipeline. */
    public static MLReader<MetalrClassifier> read() {
        return READABLE.read();
    }

    public static MetalrClassifier load(String path) {
        return READABLE.load(path);
    }

    private static boolean isFloatArray(DataType type) {
        return type instanceof ArrayType a && a.elementType().equals(DataTypes.FloatType);
    }
}
