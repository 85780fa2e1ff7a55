package io.metalr.fuzz;

import io.metalr.data.read.DataLimits;
import io.metalr.data.read.DataPaths;
import io.metalr.data.read.OnBadRecord;
import io.metalr.fuzz.Mutator.Field;
import io.metalr.fuzz.Mutator.Mutant;
import io.metalr.udf.image.BadRecordException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import org.apache.hadoop.conf.Configuration;

/**
 * One format the job reads: the valid files mutants start from, the format-aware mutations, and
 * the reader the job itself uses for it (the same public entry point, with the limits a job
 * configured for a 512 MB heap would pass).
 */
abstract class FuzzTarget {

    /**
     * The limits of the fuzz JVM ({@code -Xmx512m}): a reader may hold up to about five times
     * {@code maxFileBytes}, and an image decodes into about 20 bytes per pixel at worst.
     */
    static final DataLimits LIMITS = new DataLimits(4_000_000, 16 << 20);

    /**
     * A valid file: the name it is written under in the work folder, its bytes, and its known
     * header fields.
     */
    record Seed(String file, byte[] bytes, List<Field> fields) {}

    abstract String name();

    /** The seeds; also writes the valid companion files the reader needs into {@code work}. */
    abstract List<Seed> seeds(Path work) throws Exception;

    /** Reads {@code bytes} (a mutant of {@code seed}, or the seed itself) the way the job does. */
    abstract void read(Path work, Seed seed, byte[] bytes, boolean skip) throws Exception;

    /** A format-aware mutation; by default an interesting number over a known field. */
    Mutant structured(Seed s, Random r) {
        return s.fields().isEmpty() ? Mutator.generic(s.bytes(), r) : Mutator.field(s.bytes(), s.fields(), r);
    }

    /** Applied to every mutant (PNG: the CRCs repaired, most of the time, so the decoder is reached). */
    byte[] fixup(byte[] bytes, Random r) {
        return bytes;
    }

    /** The error a refused file must raise. */
    Class<? extends Throwable> refusal() {
        return BadRecordException.class;
    }

    /** Names one of which a refusal's message must contain: the file, or the folder the job was given. */
    List<String> names(Path work, Seed seed) {
        return List.of(seed.file(), work.getFileName().toString());
    }

    private static Configuration conf;

    /**
     * The Hadoop configuration, made once as the job makes it once per data load (a new one per
     * file would parse Hadoop's XML defaults every time).
     */
    static synchronized Configuration conf() {
        if (conf == null) {
            conf = DataPaths.configuration();
        }
        return conf;
    }

    static OnBadRecord mode(boolean skip) {
        return skip ? OnBadRecord.SKIP : OnBadRecord.FAIL;
    }

    static Path write(Path file, byte[] bytes) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.write(file, bytes);
    }
}
