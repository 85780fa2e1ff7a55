package io.metalr.fuzz;

import io.metalr.Compress;
import io.metalr.TestImages;
import io.metalr.fuzz.Mutator.Field;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Writers of the valid files the fuzz suite starts from (no binary blobs checked in), and the
 * layouts of their header fields for {@link Mutator#field}.
 */
final class Seeds {

    private Seeds() {}

    static final ByteOrder BE = ByteOrder.BIG_ENDIAN;
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    // ------------------------------------------------------------------ images

    /** A small image of the given BufferedImage type, filled with a gradient. */
    static BufferedImage image(int type, int w, int h) {
        BufferedImage img = new BufferedImage(w, h, type);
        var raster = img.getRaster();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < raster.getNumBands(); c++) {
                    int max = (1 << img.getColorModel().getComponentSize(c)) - 1;
                    raster.setSample(x, y, c, (x * 37 + y * 11 + c * 53) % (max + 1));
                }
            }
        }
        return img;
    }

    static byte[] jpeg(BufferedImage img, boolean progressive) {
        ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
            w.setOutput(ios);
            ImageWriteParam p = w.getDefaultWriteParam();
            p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            p.setCompressionQuality(0.9f);
            if (progressive) {
                p.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
            }
            w.write(null, new IIOImage(img, null, null), p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            w.dispose();
        }
        return out.toByteArray();
    }

    /** IHDR's fields and every chunk's length. */
    static List<Field> pngFields(byte[] b) {
        List<Field> f = new ArrayList<>();
        f.add(Field.of("IHDR width", 16, 4, BE));
        f.add(Field.of("IHDR height", 20, 4, BE));
        f.add(Field.of("IHDR bit depth", 24, 1, BE));
        f.add(Field.of("IHDR colour type", 25, 1, BE));
        f.add(Field.of("IHDR interlace", 28, 1, BE));
        for (int pos = 8; pos + 12 <= b.length; ) {
            long len = ByteBuffer.wrap(b).getInt(pos) & 0xffffffffL;
            f.add(Field.of(new String(b, pos + 4, 4, StandardCharsets.ISO_8859_1) + " length at " + pos, pos, 4, BE));
            pos += 12 + len;
        }
        return f;
    }

    /** Every PNG chunk that fits gets its right CRC, so a mutation reaches the decoder. */
    static byte[] fixPngCrcs(byte[] b) {
        byte[] out = b.clone();
        ByteBuffer bb = ByteBuffer.wrap(out);
        CRC32 crc = new CRC32();
        for (int pos = 8; pos + 12 <= out.length; ) {
            long len = bb.getInt(pos) & 0xffffffffL;
            if (pos + 12 + len > out.length) {
                break;
            }
            crc.reset();
            crc.update(out, pos + 4, 4 + (int) len);
            bb.putInt(pos + 8 + (int) len, (int) crc.getValue());
            pos += 12 + (int) len;
        }
        return out;
    }

    /** A PNG chunk with its CRC. */
    static byte[] pngChunk(String type, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(12 + data.length);
        b.putInt(data.length).put(type.getBytes(StandardCharsets.ISO_8859_1)).put(data);
        CRC32 crc = new CRC32();
        crc.update(b.array(), 4, 4 + data.length);
        b.putInt((int) crc.getValue());
        return b.array();
    }

    /** The frame header's fields (SOFn) and every marker segment's length. */
    static List<Field> jpegFields(byte[] b) {
        List<Field> f = new ArrayList<>();
        ByteBuffer bb = ByteBuffer.wrap(b);
        for (int pos = 2; pos + 4 <= b.length && (b[pos] & 0xff) == 0xff; ) {
            int marker = b[pos + 1] & 0xff;
            int len = bb.getShort(pos + 2) & 0xffff;
            f.add(Field.of(String.format("marker %02x length", marker), pos + 2, 2, BE));
            if (marker >= 0xc0 && marker <= 0xc2 && pos + 10 <= b.length) {
                f.add(Field.of("SOF precision", pos + 4, 1, BE));
                f.add(Field.of("SOF height", pos + 5, 2, BE));
                f.add(Field.of("SOF width", pos + 7, 2, BE));
                f.add(Field.of("SOF components", pos + 9, 1, BE));
            }
            if (marker == 0xda) {
                break; // entropy-coded data follows
            }
            pos += 2 + len;
        }
        return f;
    }

    // ------------------------------------------------------------------ npy, zip

    static byte[] npy(String descr, long[] shape, byte[] data) {
        StringBuilder s = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            s.append(i > 0 ? ", " : "").append(shape[i]);
        }
        s.append(shape.length == 1 ? ",)" : ")");
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + s + ", }";
        int pad = (64 - (10 + dict.length() + 1) % 64) % 64;
        byte[] header = (dict + " ".repeat(pad) + "\n").getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(10 + header.length + data.length).order(LE);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
        b.putShort((short) header.length).put(header).put(data);
        return b.array();
    }

    /** A zip file written field by field, so that the fields can be mutated by name afterwards. */
    record Zip(byte[] bytes, List<Field> fields) {}

    /**
     * A zip of the entries, stored or deflated, sizes in the local headers (no data descriptors);
     * with {@code zip64}, every size and offset goes into Zip64 extra fields (the 32-bit fields
     * hold 0xffffffff) and the end record gets a Zip64 twin, as writers do for files over 4 GiB.
     */
    static Zip zip(Map<String, byte[]> entries, boolean deflate, boolean zip64) {
        ByteBuffer b = ByteBuffer.allocate(1 << 22).order(LE);
        List<Field> fields = new ArrayList<>();
        List<byte[]> central = new ArrayList<>();
        List<Integer> localOffsets = new ArrayList<>();
        List<long[]> sizes = new ArrayList<>();
        for (var e : entries.entrySet()) {
            byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
            byte[] data = e.getValue();
            byte[] stored = deflate ? Compress.deflate(data) : data;
            CRC32 crc = new CRC32();
            crc.update(data);
            int at = b.position();
            localOffsets.add(at);
            sizes.add(new long[] {stored.length, data.length, crc.getValue()});
            b.putInt(0x04034b50).putShort((short) (zip64 ? 45 : 20)).putShort((short) 0)
                    .putShort((short) (deflate ? 8 : 0)).putInt(0).putInt((int) crc.getValue());
            fields.add(Field.of(e.getKey() + " local compressed size", b.position(), 4, LE));
            b.putInt(zip64 ? -1 : stored.length);
            fields.add(Field.of(e.getKey() + " local size", b.position(), 4, LE));
            b.putInt(zip64 ? -1 : data.length);
            fields.add(Field.of(e.getKey() + " local name length", b.position(), 2, LE));
            b.putShort((short) name.length);
            fields.add(Field.of(e.getKey() + " local extra length", b.position(), 2, LE));
            b.putShort((short) (zip64 ? 20 : 0)).put(name);
            if (zip64) {
                b.putShort((short) 1).putShort((short) 16);
                fields.add(Field.of(e.getKey() + " local zip64 size", b.position(), 8, LE));
                b.putLong(data.length);
                fields.add(Field.of(e.getKey() + " local zip64 compressed size", b.position(), 8, LE));
                b.putLong(stored.length);
            }
            b.put(stored);
        }
        int cdStart = b.position();
        int i = 0;
        for (var e : entries.entrySet()) {
            byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
            long[] s = sizes.get(i);
            int local = localOffsets.get(i++);
            b.putInt(0x02014b50).putShort((short) 45).putShort((short) (zip64 ? 45 : 20)).putShort((short) 0)
                    .putShort((short) (deflate ? 8 : 0)).putInt(0).putInt((int) s[2]);
            fields.add(Field.of(e.getKey() + " central method", b.position() - 10, 2, LE));
            fields.add(Field.of(e.getKey() + " central compressed size", b.position(), 4, LE));
            b.putInt(zip64 ? -1 : (int) s[0]);
            fields.add(Field.of(e.getKey() + " central size", b.position(), 4, LE));
            b.putInt(zip64 ? -1 : (int) s[1]);
            fields.add(Field.of(e.getKey() + " central name length", b.position(), 2, LE));
            b.putShort((short) name.length);
            fields.add(Field.of(e.getKey() + " central extra length", b.position(), 2, LE));
            b.putShort((short) (zip64 ? 28 : 0)).putShort((short) 0).putShort((short) 0).putShort((short) 0)
                    .putInt(0);
            fields.add(Field.of(e.getKey() + " central local offset", b.position(), 4, LE));
            b.putInt(zip64 ? -1 : local).put(name);
            if (zip64) {
                fields.add(Field.of(e.getKey() + " zip64 extra length", b.position() + 2, 2, LE));
                b.putShort((short) 1).putShort((short) 24);
                fields.add(Field.of(e.getKey() + " zip64 size", b.position(), 8, LE));
                b.putLong(s[1]);
                fields.add(Field.of(e.getKey() + " zip64 compressed size", b.position(), 8, LE));
                b.putLong(s[0]);
                fields.add(Field.of(e.getKey() + " zip64 local offset", b.position(), 8, LE));
                b.putLong(local);
            }
        }
        int cdEnd = b.position();
        if (zip64) {
            int z64 = b.position();
            b.putInt(0x06064b50).putLong(44).putShort((short) 45).putShort((short) 45).putInt(0).putInt(0);
            fields.add(Field.of("zip64 end entries on disk", b.position(), 8, LE));
            b.putLong(entries.size());
            fields.add(Field.of("zip64 end entries", b.position(), 8, LE));
            b.putLong(entries.size());
            fields.add(Field.of("zip64 end directory size", b.position(), 8, LE));
            b.putLong(cdEnd - cdStart);
            fields.add(Field.of("zip64 end directory offset", b.position(), 8, LE));
            b.putLong(cdStart);
            b.putInt(0x07064b50).putInt(0);
            fields.add(Field.of("zip64 locator offset", b.position(), 8, LE));
            b.putLong(z64).putInt(1);
        }
        b.putInt(0x06054b50).putShort((short) 0).putShort((short) 0);
        fields.add(Field.of("end entries on disk", b.position(), 2, LE));
        b.putShort((short) (zip64 ? -1 : entries.size()));
        fields.add(Field.of("end entries", b.position(), 2, LE));
        b.putShort((short) (zip64 ? -1 : entries.size()));
        fields.add(Field.of("end directory size", b.position(), 4, LE));
        b.putInt(zip64 ? -1 : cdEnd - cdStart);
        fields.add(Field.of("end directory offset", b.position(), 4, LE));
        b.putInt(zip64 ? -1 : cdStart).putShort((short) 0);
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return new Zip(out, fields);
    }

    /**
     * The entries of a valid zip, in order, by its central directory (PyTorch writes stored entries
     * with data descriptors, which {@code ZipInputStream} refuses).
     */
    static Map<String, byte[]> unzip(byte[] zip) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try {
            java.nio.file.Path tmp = java.nio.file.Files.createTempFile("fuzz-seed", ".zip");
            try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(java.nio.file.Files.write(tmp, zip).toFile())) {
                for (ZipEntry e : java.util.Collections.list(z.entries())) {
                    try (var in = z.getInputStream(e)) {
                        out.put(e.getName(), in.readAllBytes());
                    }
                }
            } finally {
                java.nio.file.Files.delete(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    static byte[] gunzip(byte[] gz) {
        try (var in = new java.util.zip.GZIPInputStream(new ByteArrayInputStream(gz))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] zerosGz;

    /**
     * A gzip member of 24 MiB of zeros (about 24 KB), made once: appended to a valid member it is
     * a bomb that a reader sees as one stream of 24 MiB more than the file declares.
     */
    static synchronized byte[] gzippedZeros() {
        if (zerosGz == null) {
            zerosGz = Compress.gzip(new byte[24 << 20]);
        }
        return zerosGz;
    }

    private static byte[] zerosDeflated;

    /** 24 MiB of zeros, raw-deflated (a zip bomb entry), made once. */
    static synchronized byte[] deflatedZeros() {
        if (zerosDeflated == null) {
            zerosDeflated = Compress.deflate(new byte[24 << 20]);
        }
        return zerosDeflated;
    }

    // ------------------------------------------------------------------ IDX, NIfTI

    static byte[] idxImages(int n, int h, int w) {
        ByteBuffer b = ByteBuffer.allocate(16 + n * h * w).order(BE);
        b.putInt(0x803).putInt(n).putInt(h).putInt(w);
        for (int i = 0; i < n * h * w; i++) {
            b.put((byte) (i * 31));
        }
        return b.array();
    }

    static byte[] idxLabels(int n) {
        ByteBuffer b = ByteBuffer.allocate(8 + n).order(BE);
        b.putInt(0x801).putInt(n);
        for (int i = 0; i < n; i++) {
            b.put((byte) (i % 10));
        }
        return b.array();
    }

    static List<Field> idxFields(boolean images) {
        List<Field> f = new ArrayList<>(List.of(Field.of("magic", 0, 4, BE), Field.of("N", 4, 4, BE)));
        if (images) {
            f.add(Field.of("H", 8, 4, BE));
            f.add(Field.of("W", 12, 4, BE));
        }
        return f;
    }

    /** A NIfTI-1 volume of uint8 or float32 voxels with an sform; {@code values(x, y, z)} by formula. */
    static byte[] nifti(ByteOrder order, boolean float32, int nx, int ny, int nz, boolean atlas) {
        int per = float32 ? 4 : 1;
        ByteBuffer b = ByteBuffer.allocate(352 + nx * ny * nz * per).order(order);
        b.putInt(0, 348);
        short[] dim = {3, (short) nx, (short) ny, (short) nz, 1, 1, 1, 1};
        for (int i = 0; i < 8; i++) {
            b.putShort(40 + 2 * i, dim[i]);
        }
        b.putShort(70, (short) (float32 ? 16 : 2));
        b.putShort(72, (short) (per * 8));
        for (int i = 0; i < 8; i++) {
            b.putFloat(76 + 4 * i, 1f);
        }
        b.putFloat(108, 352f);
        b.putFloat(112, 1f);
        b.putShort(254, (short) 2);
        float[] srow = {1, 0, 0, -nx / 2f, 0, 1, 0, -ny / 2f, 0, 0, 1, -nz / 2f};
        for (int i = 0; i < 12; i++) {
            b.putFloat(280 + 4 * i, srow[i]);
        }
        b.put(344, (byte) 'n').put(345, (byte) '+').put(346, (byte) '1');
        int p = 352;
        for (int z = 0; z < nz; z++) {
            for (int y = 0; y < ny; y++) {
                for (int x = 0; x < nx; x++, p += per) {
                    // the atlas: two regions, left half 1, right half 2
                    float v = atlas ? (x < nx / 2 ? 1 : 2) : 10 + x * 3 + y * 5 + z * 7;
                    if (float32) {
                        b.putFloat(p, v);
                    } else {
                        b.put(p, (byte) v);
                    }
                }
            }
        }
        return b.array();
    }

    static List<Field> niftiFields(ByteOrder o) {
        List<Field> f = new ArrayList<>();
        f.add(Field.of("sizeof_hdr", 0, 4, o));
        for (int i = 0; i < 8; i++) {
            f.add(Field.of("dim[" + i + "]", 40 + 2 * i, 2, o));
        }
        f.add(Field.of("datatype", 70, 2, o));
        f.add(Field.of("bitpix", 72, 2, o));
        f.add(Field.ofFloat("pixdim[1]", 80, 4, o));
        f.add(Field.ofFloat("vox_offset", 108, 4, o));
        f.add(Field.ofFloat("vox_offset", 108, 4, o));
        f.add(Field.ofFloat("scl_slope", 112, 4, o));
        f.add(Field.ofFloat("scl_inter", 116, 4, o));
        f.add(Field.of("qform_code", 252, 2, o));
        f.add(Field.of("sform_code", 254, 2, o));
        f.add(Field.ofFloat("quatern_b", 256, 4, o));
        f.add(Field.ofFloat("qoffset_x", 268, 4, o));
        for (int i = 0; i < 12; i++) {
            f.add(Field.ofFloat("srow[" + i + "]", 280 + 4 * i, 4, o));
        }
        return f;
    }

    /** The fields of a gzip member: flags, mtime, the trailer's CRC and ISIZE. */
    static List<Field> gzipFields(byte[] gz) {
        return List.of(Field.of("gzip method", 2, 1, LE), Field.of("gzip flags", 3, 1, LE),
                Field.of("gzip CRC", gz.length - 8, 4, LE), Field.of("gzip ISIZE", gz.length - 4, 4, LE));
    }

    // ------------------------------------------------------------------ safetensors

    static byte[] safetensors(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(LE);
        b.putLong(h.length).put(h).put(data);
        return b.array();
    }
}
