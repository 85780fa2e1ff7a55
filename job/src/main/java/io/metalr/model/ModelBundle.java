package io.metalr.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.metalr.data.read.DataPaths;
import io.metalr.model.io.TensorData;
import io.metalr.nn.Network;
import io.metalr.nn.ParamSpec;
import io.metalr.udf.image.Preprocessor;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A trained model as a run directory's {@code model/} folder holds it: the weights
 * ({@value #WEIGHTS}) and what is needed to use them on new images ({@value #METADATA}): the
 * architecture, the preprocessing (input size, channels, normalisation), the class names, and
 * the layer groups and strategy it was trained with. {@code evaluate}, {@code predict} and the
 * {@code metalr_predict} SQL function all start from here.
 */
public record ModelBundle(String modelName, Preprocessor preprocessor, List<String> classes, List<String> groups,
        String strategy, LinkedHashMap<String, float[]> weights) {

    public static final String WEIGHTS = "weights.ndlist";
    public static final String METADATA = "metadata.json";
    /** Bumped when the metadata's meaning changes; readers refuse newer versions. */
    public static final int FORMAT_VERSION = 1;

    private static final ObjectMapper JSON = new ObjectMapper();

    public ModelBundle {
        classes = List.copyOf(classes);
        groups = List.copyOf(groups);
    }

    /** The architecture, built for this bundle's channels and classes. */
    public Network network() {
        return Models.create(modelName, preprocessor.channels(), classes.size());
    }

    /** The metadata file's content. */
    public Map<String, Object> metadata() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format_version", FORMAT_VERSION);
        m.put("model", modelName);
        m.put("channels", preprocessor.channels());
        m.put("height", preprocessor.height());
        m.put("width", preprocessor.width());
        m.put("mean", toList(preprocessor.mean()));
        m.put("std", toList(preprocessor.std()));
        m.put("classes", classes);
        m.put("groups", groups);
        m.put("strategy", strategy);
        m.put("weights", WEIGHTS);
        return m;
    }

    /**
     * Reads {@code dir/metadata.json} and {@code dir/weights.ndlist} from any Hadoop path. Also
     * accepts a run directory (whose {@code model/} folder is used). Errors name the file and key.
     */
    public static ModelBundle read(String dir) throws IOException {
        String base = dir.endsWith("/") ? dir.substring(0, dir.length() - 1) : dir;
        String meta = DataPaths.resolve(base, METADATA);
        if (!DataPaths.exists(meta) && DataPaths.exists(DataPaths.resolve(DataPaths.resolve(base, "model"), METADATA))) {
            base = DataPaths.resolve(base, "model");
            meta = DataPaths.resolve(base, METADATA);
        }
        if (!DataPaths.exists(meta)) {
            throw new FileNotFoundException(dir + ": no " + METADATA + " (expected a model directory or a run directory with model/)");
        }
        JsonNode m;
        try (InputStream in = DataPaths.open(meta)) {
            m = JSON.readTree(in);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new BadModelException(meta + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        int version = field(m, "format_version", meta).asInt();
        if (version > FORMAT_VERSION) {
            throw new BadModelException(meta + ": format_version " + version + " is newer than this job reads (" + FORMAT_VERSION + ")");
        }
        Preprocessor pre;
        try {
            pre = new Preprocessor(field(m, "height", meta).asInt(), field(m, "width", meta).asInt(),
                    field(m, "channels", meta).asInt(), floats(field(m, "mean", meta)), floats(field(m, "std", meta)));
        } catch (IllegalArgumentException e) {
            throw new BadModelException(meta + ": " + e.getMessage(), e);
        }
        ModelBundle shell = new ModelBundle(field(m, "model", meta).asText(), pre, strings(field(m, "classes", meta)),
                m.has("groups") ? strings(m.get("groups")) : List.of(), m.path("strategy").asText(""), new LinkedHashMap<>());
        Network net;
        try {
            net = shell.network();
        } catch (IllegalArgumentException e) {
            throw new BadModelException(meta + ": " + e.getMessage(), e);
        }
        String weightsPath = DataPaths.resolve(base, m.path("weights").asText(WEIGHTS));
        LinkedHashMap<String, TensorData> tensors;
        try (InputStream in = DataPaths.open(weightsPath)) {
            tensors = WeightFiles.read(in, weightsPath);
        }
        LinkedHashMap<String, float[]> weights = new LinkedHashMap<>();
        for (ParamSpec spec : net.params()) {
            TensorData t = tensors.get(spec.name());
            if (t == null) {
                throw new BadModelException(weightsPath + ": no tensor " + spec.name() + " for model " + shell.modelName());
            }
            float[] v = t.floats();
            if (v == null || v.length != spec.size()) {
                throw new BadModelException(weightsPath + ": tensor " + spec.name() + " has " + (v == null ? "integer" : v.length + "")
                        + " values, model " + shell.modelName() + " needs " + spec.size());
            }
            weights.put(spec.name(), v);
        }
        return new ModelBundle(shell.modelName(), pre, shell.classes(), shell.groups(), shell.strategy(), weights);
    }

    private static JsonNode field(JsonNode m, String key, String file) throws IOException {
        JsonNode v = m.get(key);
        if (v == null || v.isNull()) {
            throw new BadModelException(file + ": missing key '" + key + "'");
        }
        return v;
    }

    private static List<Double> toList(float[] v) {
        List<Double> out = new ArrayList<>();
        for (float x : v) {
            out.add((double) x);
        }
        return out;
    }

    private static float[] floats(JsonNode n) {
        float[] out = new float[n.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) n.get(i).asDouble();
        }
        return out;
    }

    private static List<String> strings(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.forEach(x -> out.add(x.asText()));
        return out;
    }
}
