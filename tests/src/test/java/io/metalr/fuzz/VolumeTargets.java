package io.metalr.fuzz;

import io.metalr.Compress;
import io.metalr.data.read.IdxReader;
import io.metalr.data.read.NiftiReader;
import io.metalr.data.read.NiftiSettings;
import io.metalr.fuzz.Mutator.Mutant;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** IDX folders and NIfTI volumes, raw and gzipped, read by the {@code idx} and {@code nifti} formats. */
final class VolumeTargets {

    private VolumeTargets() {}

    /** A valid set of files in one folder, one of which each mutant replaces. */
    abstract static class FolderTarget extends FuzzTarget {

        final boolean gz;

        FolderTarget(boolean gz) {
            this.gz = gz;
        }

        /** The valid files, by name (without .gz). */
        abstract List<Seed> plainSeeds();

        /** Reads the folder as the job does. */
        abstract void readFolder(Path work, boolean skip) throws Exception;

        @Override
        List<Seed> seeds(Path work) throws Exception {
            List<Seed> out = new ArrayList<>();
            for (Seed s : plainSeeds()) {
                Seed seed = gz ? new Seed(s.file() + ".gz", Compress.gzip(s.bytes()), s.fields()) : s;
                out.add(seed);
                write(work.resolve(seed.file()), seed.bytes());
            }
            return out;
        }

        @Override
        void read(Path work, Seed seed, byte[] bytes, boolean skip) throws Exception {
            write(work.resolve(seed.file()), bytes);
            try {
                readFolder(work, skip);
            } finally {
                byte[] valid = seed.bytes();
                write(work.resolve(seed.file()), valid);
            }
        }

        @Override
        Mutant structured(Seed s, Random r) {
            if (!gz) {
                return Mutator.field(s.bytes(), s.fields(), r);
            }
            byte[] inner = Seeds.gunzip(s.bytes());
            byte[] valid = s.bytes();
            switch (r.nextInt(8)) {
                case 0 -> {
                    return new Mutant(Mutator.concat(valid, Seeds.gzippedZeros()), "gzip bomb after the data");
                }
                case 1 -> {
                    Mutant m = Mutator.field(inner, s.fields(), r);
                    return new Mutant(Mutator.concat(Compress.gzip(m.bytes()), Seeds.gzippedZeros()),
                            "gzip bomb after a header with " + m.what());
                }
                case 2 -> {
                    byte[] tail = r.nextBoolean() ? valid : Compress.gzip(Mutator.randomBytes(r, 1 + r.nextInt(64)));
                    return new Mutant(Mutator.concat(valid, tail), "concatenated gzip members");
                }
                case 3 -> {
                    return new Mutant(Mutator.concat(valid, Mutator.randomBytes(r, 1 + r.nextInt(32))),
                            "garbage after the gzip member");
                }
                case 4 -> {
                    Mutant m = Mutator.field(valid, Seeds.gzipFields(valid), r);
                    return m;
                }
                default -> {
                    Mutant m = r.nextBoolean() ? Mutator.field(inner, s.fields(), r) : Mutator.generic(inner, r);
                    return new Mutant(Compress.gzip(m.bytes()), "gzip of " + m.what());
                }
            }
        }
    }

    static final class Idx extends FolderTarget {

        Idx(boolean gz) {
            super(gz);
        }

        @Override
        String name() {
            return gz ? "idx.gz" : "idx";
        }

        @Override
        List<Seed> plainSeeds() {
            return List.of(new Seed("train-images-idx3-ubyte", Seeds.idxImages(6, 5, 4), Seeds.idxFields(true)),
                    new Seed("train-labels-idx1-ubyte", Seeds.idxLabels(6), Seeds.idxFields(false)));
        }

        @Override
        void readFolder(Path work, boolean skip) throws Exception {
            IdxReader.read(work.toString(), mode(skip), LIMITS, FuzzTarget.conf());
        }
    }

    static final class Nifti extends FolderTarget {

        Nifti(boolean gz) {
            super(gz);
        }

        @Override
        String name() {
            return gz ? "nii.gz" : "nifti";
        }

        String t1() {
            return gz ? "t1.nii.gz" : "t1.nii";
        }

        String atlas() {
            return gz ? "atlas.nii.gz" : "atlas.nii";
        }

        @Override
        List<Seed> plainSeeds() {
            return List.of(
                    new Seed("t1.nii", Seeds.nifti(Seeds.LE, true, 8, 8, 6, false), Seeds.niftiFields(Seeds.LE)),
                    new Seed("atlas.nii", Seeds.nifti(Seeds.BE, false, 8, 8, 6, true), Seeds.niftiFields(Seeds.BE)));
        }

        @Override
        void readFolder(Path work, boolean skip) throws Exception {
            NiftiSettings settings = new NiftiSettings(work.resolve(atlas()).toString(), 2, 4, 2, 0.5, 2,
                    List.of(NiftiSettings.Region.of("left", "1"), NiftiSettings.Region.of("right", "2")));
            NiftiReader.read(work.resolve(t1()).toString(), settings, mode(skip), LIMITS, FuzzTarget.conf());
        }

        /** A fault of either volume may show in the pair's messages under the other's name. */
        @Override
        List<String> names(Path work, Seed seed) {
            return List.of(t1(), atlas());
        }
    }
}
