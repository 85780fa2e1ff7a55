package io.metalr.data.read;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;


import org.apache.spark.sql.SparkSession;

/** Writers for the small files the reader tests make for themselves (no NumPy, no nibabel). */
public final class TestFiles {

    private TestFiles() {}

    // ------------------------------------------------------------------ npy / npz

    /** A .npy: header dict padded so the data starts at a multiple of 64, as NumPy writes it. */
    static byte[] npy(String descr, long[] shape, byte[] data, boolean fortran) {
        StringBuilder s = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            s.append(i > 0 ? ", " : "").append(shape[i]);
        }
        s.append(shape.length == 1 ? ",)" : ")");
        String dict = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False")
                + ", 'shape': " + s + ", }";
        int total = 10 + dict.length() + 1;
        int pad = (64 - total % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
        b.putShort((short) header.length());
        b.put(header.getBytes(StandardCharsets.US_ASCII));
        b.put(data);
        return b.array();
    }

    static byte[] npyU1(long[] shape, byte[] data) {
        return npy("|u1", shape, data, false);
    }

    static byte[] npyF4(long[] shape, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return npy("<f4", shape, b.array(), false);
    }

    static byte[] npyI8(long[] shape, long[] values, ByteOrder order) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(order);
        for (long v : values) {
            b.putLong(v);
        }
        return npy(order == ByteOrder.LITTLE_ENDIAN ? "<i8" : ">i8", shape, b.array(), false);
    }

    static byte[] npyU1Labels(int... labels) {
        byte[] d = new byte[labels.length];
        for (int i = 0; i < labels.length; i++) {
            d[i] = (byte) labels[i];
        }
        return npyU1(new long[] {labels.length, 1}, d);
    }

    /**
     * A zip of named entries (".npy" appended). Deflated entries go through ZipOutputStream as a
     * stream writes them, so with data descriptors; stored ones carry their sizes up front.
     */
    static byte[] npz(Map<String, byte[]> arrays, boolean deflate) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            for (var e : arrays.entrySet()) {
                ZipEntry entry = new ZipEntry(e.getKey() + ".npy");
                if (deflate) {
                    entry.setMethod(ZipEntry.DEFLATED);
                } else {
                    CRC32 crc = new CRC32();
                    crc.update(e.getValue());
                    entry.setMethod(ZipEntry.STORED);
                    entry.setSize(e.getValue().length);
                    entry.setCompressedSize(e.getValue().length);
                    entry.setCrc(crc.getValue());
                }
                z.putNextEntry(entry);
                z.write(e.getValue());
                z.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** n gray images of h x w whose pixel (i, y, x) is (i * 7 + y * w + x) mod 256. */
    static byte[] grayPixels(int n, int h, int w) {
        byte[] d = new byte[n * h * w];
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < h * w; p++) {
                d[i * h * w + p] = (byte) ((i * 7 + p) % 256);
            }
        }
        return d;
    }

    // ------------------------------------------------------------------ IDX

    static byte[] idxImages(int n, int h, int w, byte[] pixels) {
        ByteBuffer b = ByteBuffer.allocate(16 + pixels.length).order(ByteOrder.BIG_ENDIAN);
        b.putInt(0x00000803).putInt(n).putInt(h).putInt(w).put(pixels);
        return b.array();
    }

    static byte[] idxLabels(int... labels) {
        ByteBuffer b = ByteBuffer.allocate(8 + labels.length).order(ByteOrder.BIG_ENDIAN);
        b.putInt(0x00000801).putInt(labels.length);
        for (int l : labels) {
            b.put((byte) l);
        }
        return b.array();
    }

    // ------------------------------------------------------------------ NIfTI

    /**
     * A single-file NIfTI-1 of nx x ny x nz voxels (x fastest) holding {@code stored} (the raw
     * values, written as {@code datatype}), with the given scaling, byte order and dim[0]/dim[4].
     */
    public static byte[] nifti(ByteOrder order, int datatype, int nx, int ny, int nz, double[] stored, float slope,
            float inter, int dim0, double[] srow) {
        int bytesPer = switch (datatype) {
            case NiftiVolume.DT_UINT8, NiftiVolume.DT_INT8 -> 1;
            case NiftiVolume.DT_INT16, NiftiVolume.DT_UINT16 -> 2;
            case NiftiVolume.DT_INT32, NiftiVolume.DT_FLOAT32 -> 4;
            case NiftiVolume.DT_FLOAT64 -> 8;
            default -> throw new IllegalArgumentException("datatype " + datatype);
        };
        ByteBuffer b = ByteBuffer.allocate(352 + stored.length * bytesPer).order(order);
        b.putInt(0, 348);
        short[] dim = {(short) dim0, (short) nx, (short) ny, (short) nz, 1, 1, 1, 1};
        for (int i = 0; i < 8; i++) {
            b.putShort(40 + 2 * i, dim[i]);
        }
        b.putShort(70, (short) datatype);
        b.putShort(72, (short) (bytesPer * 8));
        float[] pixdim = {1, 1, 1, 1, 1, 1, 1, 1};
        for (int i = 0; i < 8; i++) {
            b.putFloat(76 + 4 * i, pixdim[i]);
        }
        b.putFloat(108, 352f);
        b.putFloat(112, slope);
        b.putFloat(116, inter);
        if (srow != null) {
            b.putShort(254, (short) 2);
            for (int i = 0; i < 12; i++) {
                b.putFloat(280 + 4 * i, (float) srow[i]);
            }
        }
        b.put(344, (byte) 'n').put(345, (byte) '+').put(346, (byte) '1').put(347, (byte) 0);
        int p = 352;
        for (double v : stored) {
            switch (datatype) {
                case NiftiVolume.DT_UINT8, NiftiVolume.DT_INT8 -> b.put(p, (byte) (long) v);
                case NiftiVolume.DT_INT16, NiftiVolume.DT_UINT16 -> b.putShort(p, (short) (long) v);
                case NiftiVolume.DT_INT32 -> b.putInt(p, (int) v);
                case NiftiVolume.DT_FLOAT32 -> b.putFloat(p, (float) v);
                default -> b.putDouble(p, v);
            }
            p += bytesPer;
        }
        return b.array();
    }

    // ------------------------------------------------------------------ images, files, Spark

    /** A PNG, gray (channels 1) or RGB (3), with pixel values (x + y * 3 + seed) mod 256. */
    static byte[] png(int w, int h, int channels, int seed) {
        BufferedImage img = new BufferedImage(w, h, channels == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int v = (x + y * 3 + seed) % 256;
                if (channels == 1) {
                    img.getRaster().setSample(x, y, 0, v);
                } else {
                    img.setRGB(x, y, (v << 16) | ((255 - v) << 8) | (v / 2));
                }
            }
        }
        return io.metalr.TestImages.png(img);
    }

    public static Path write(Path file, byte[] bytes) {
        try {
            Files.createDirectories(file.getParent());
            return Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] cut(byte[] bytes, int keep) {
        return java.util.Arrays.copyOf(bytes, keep);
    }

    /** The local Spark session the Parquet tests share (left running, as the readers would). */
    static SparkSession spark() {
        return io.metalr.TestSpark.session();
    }
}
