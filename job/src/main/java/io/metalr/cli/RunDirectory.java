package io.metalr.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import io.metalr.model.WeightFiles;
import io.metalr.nn.Network;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * Writes a run's outputs. Every file is written to a temporary name and renamed into place, so
 * a reader never sees half a file and an interrupted run never damages what was written before.
 */
public final class RunDirectory {

    private static final ObjectMapper JSON =
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path dir;

    public RunDirectory(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
    }

    public Path path() {
        return dir;
    }

    public void writeJson(String name, Object value) throws IOException {
        write(name, out -> JSON.writeValue(out, value));
    }

    public void writeText(String name, String text) throws IOException {
        write(name, out -> out.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    public void writeWeights(String name, Network net, Map<String, float[]> values) throws IOException {
        write(name, out -> WeightFiles.write(out, net, values, name));
    }

    private interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    private void write(String name, Body body) throws IOException {
        Path target = dir.resolve(name);
        Files.createDirectories(target.getParent());
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            body.writeTo(out);
        }
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
