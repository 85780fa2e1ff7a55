package io.metalr.fuzz;

import io.metalr.TestImages;
import io.metalr.data.read.ImageFolderReader;
import io.metalr.fuzz.Mutator.Mutant;

import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** PNG and JPEG files, read as the {@code folder} format reads them (root/class/file). */
final class ImageTargets {

    private ImageTargets() {}

    static final int[] TYPES = {
        BufferedImage.TYPE_BYTE_GRAY, BufferedImage.TYPE_USHORT_GRAY, BufferedImage.TYPE_3BYTE_BGR,
        BufferedImage.TYPE_INT_ARGB, BufferedImage.TYPE_BYTE_BINARY, BufferedImage.TYPE_BYTE_INDEXED,
    };

    abstract static class ImageTarget extends FuzzTarget {

        abstract String file();

        @Override
        void read(Path work, Seed seed, byte[] bytes, boolean skip) throws Exception {
            write(work.resolve("a").resolve(file()), bytes);
            ImageFolderReader.read(work.toString(), mode(skip), false, LIMITS, FuzzTarget.conf());
        }
    }

    static final class Png extends ImageTarget {

        @Override
        String name() {
            return "png";
        }

        @Override
        String file() {
            return "x.png";
        }

        @Override
        List<Seed> seeds(Path work) {
            List<Seed> out = new ArrayList<>();
            for (int type : TYPES) {
                byte[] b = TestImages.png(Seeds.image(type, 13, 9));
                out.add(new Seed(file(), b, Seeds.pngFields(b)));
            }
            return out;
        }

        @Override
        Mutant structured(Seed s, Random r) {
            byte[] b = s.bytes();
            switch (r.nextInt(6)) {
                case 0 -> {
                    // the case: a small file declaring 26k x 26k 16-bit RGBA
                    byte[] out = b.clone();
                    ByteBuffer.wrap(out).putInt(16, 26_000).putInt(20, 26_000).put(24, (byte) 16).put(25, (byte) 6);
                    return new Mutant(out, "IHDR 26000x26000 16-bit RGBA");
                }
                case 1 -> {
                    // a compressed text chunk that inflates to 24 MiB, before IDAT
                    int idat = indexOf(b, "IDAT") - 4;
                    byte[] ztxt = Mutator.concat("k\0\0".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1),
                            zlib(Seeds.deflatedZeros()));
                    String type = r.nextBoolean() ? "zTXt" : "iCCP";
                    return new Mutant(Mutator.concat(java.util.Arrays.copyOf(b, idat), Seeds.pngChunk(type, ztxt),
                            java.util.Arrays.copyOfRange(b, idat, b.length)), type + " bomb chunk");
                }
                default -> {
                    return Mutator.field(b, s.fields(), r);
                }
            }
        }

        @Override
        byte[] fixup(byte[] bytes, Random r) {
            return r.nextInt(10) < 8 && bytes.length > 8 ? Seeds.fixPngCrcs(bytes) : bytes;
        }
    }

    static final class Jpeg extends ImageTarget {

        @Override
        String name() {
            return "jpeg";
        }

        @Override
        String file() {
            return "x.jpg";
        }

        @Override
        List<Seed> seeds(Path work) {
            List<Seed> out = new ArrayList<>();
            for (int type : new int[] {BufferedImage.TYPE_BYTE_GRAY, BufferedImage.TYPE_3BYTE_BGR}) {
                for (boolean progressive : new boolean[] {false, true}) {
                    byte[] b = Seeds.jpeg(Seeds.image(type, 21, 17), progressive);
                    out.add(new Seed(file(), b, Seeds.jpegFields(b)));
                }
            }
            return out;
        }
    }

    /** A zlib stream (2-byte header, raw deflate, Adler-32 left at zero: readers reject or ignore it). */
    static byte[] zlib(byte[] rawDeflate) {
        return Mutator.concat(new byte[] {0x78, (byte) 0x9c}, rawDeflate, new byte[4]);
    }

    static int indexOf(byte[] b, String what) {
        byte[] w = what.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        outer:
        for (int i = 0; i + w.length <= b.length; i++) {
            for (int j = 0; j < w.length; j++) {
                if (b[i + j] != w[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
