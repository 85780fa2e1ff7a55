package io.metalr.golden;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One golden-vector case of ../shared/reference: the npz arrays on the host and the json's settings. */
final class ReferenceCase {

    final String name;
    final JsonNode json;
    final Map<String, float[]> floats = new LinkedHashMap<>();
    final Map<String, long[]> shapes = new LinkedHashMap<>();
    final Map<String, double[]> doubles = new LinkedHashMap<>();
    final Map<String, long[]> longs = new LinkedHashMap<>();

    private ReferenceCase(String name, JsonNode json) {
        this.name = name;
        this.json = json;
    }

    static ReferenceCase load(Path npz) throws IOException {
        String name = npz.getFileName().toString().replaceFirst("\\.npz$", "");
        Path jsonPath = npz.resolveSibling(name + ".json");
        ReferenceCase c = new ReferenceCase(name, new ObjectMapper().readTree(jsonPath.toFile()));
        try (NDManager m = NDManager.newBaseManager(); InputStream in = Files.newInputStream(npz)) {
            NDList list = NDList.decode(m, in);
            for (NDArray a : list) {
                String key = a.getName();
                c.shapes.put(key, a.getShape().getShape());
                switch (a.getDataType()) {
                    case FLOAT32 -> c.floats.put(key, a.toFloatArray());
                    case FLOAT64 -> c.doubles.put(key, a.toDoubleArray());
                    case INT64 -> c.longs.put(key, a.toLongArray());
                    default -> throw new IOException(npz + ": unexpected dtype " + a.getDataType() + " of " + key);
                }
            }
        }
        return c;
    }

    /** The golden cases shipped in test resources, plus those in $METALR_REFERENCE_DIR when set. */
    static List<Path> discover() throws IOException {
        List<Path> out = new ArrayList<>();
        addAll(out, Path.of("src/test/resources/reference"));
        String extra = System.getenv("METALR_REFERENCE_DIR");
        if (extra != null && !extra.isBlank()) {
            addAll(out, Path.of(extra));
        }
        return out;
    }

    private static void addAll(List<Path> out, Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException("no golden-vector directory " + dir.toAbsolutePath());
        }
        try (var files = Files.list(dir)) {
            files.filter(p -> p.toString().endsWith(".npz")).sorted().forEach(out::add);
        }
    }

    List<String> parameters() {
        List<String> out = new ArrayList<>();
        json.get("parameters_in_order").forEach(n -> out.add(n.asText()));
        return out;
    }

    int[] groupOfParameter() {
        JsonNode g = json.get("group_of_parameter");
        int[] out = new int[g.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = g.get(i).asInt();
        }
        return out;
    }

    /** The json states the weight decay only inside the prose of "true_update". */
    double weightDecay() {
        Matcher m = Pattern.compile("weight_decay=([0-9.eE+-]+)").matcher(json.get("true_update").asText());
        if (!m.find()) {
            throw new IllegalStateException(name + ": no weight_decay in true_update");
        }
        return Double.parseDouble(m.group(1));
    }

    Map<String, float[]> prefixed(String prefix) {
        Map<String, float[]> out = new LinkedHashMap<>();
        floats.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                out.put(k.substring(prefix.length()), v);
            }
        });
        return out;
    }
}
