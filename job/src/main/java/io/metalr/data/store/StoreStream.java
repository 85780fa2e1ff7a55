package io.metalr.data.store;

import io.metalr.udf.image.RawImage;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Streams images of a store, one at a time at their source depth, and rebuilds a local store
 * from such a stream: how a set travels to another JVM without a whole-set array on either side.
 */
public final class StoreStream {

    private StoreStream() {}

    /** Writes the images at {@code positions}: count, then per image rid, label, kind, shape and codes. */
    public static void write(Store store, int[] positions, DataOutput out) throws IOException {
        out.writeInt(positions.length);
        for (int p : positions) {
            RawImage img = store.raw(p);
            out.writeLong(store.rid(p));
            out.writeInt(store.label(p));
            out.writeByte(CodeKind.of(img.depth()).tag());
            out.writeInt(img.channels());
            out.writeInt(img.height());
            out.writeInt(img.width());
            switch (img.depth()) {
                case U8, U8_SCALED -> out.write(img.bytes());
                case U16 -> {
                    ByteBuffer b = ByteBuffer.allocate(2 * img.length()).order(StoreLayout.ORDER);
                    b.asShortBuffer().put(img.shorts());
                    out.write(b.array());
                }
                case F32 -> {
                    ByteBuffer b = ByteBuffer.allocate(4 * img.length()).order(StoreLayout.ORDER);
                    b.asFloatBuffer().put(img.floats());
                    out.write(b.array());
                }
                default -> throw new IllegalStateException(img.depth().toString());
            }
        }
    }

    /** Reads what {@link #write} wrote into a new temporary store in {@code dir} (null: java.io.tmpdir). */
    public static MappedStore read(DataInput in, Path dir) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            throw new IOException("corrupt image stream: " + n + " images");
        }
        StoreWriter w = StoreWriter.createIn(dir, "metalr-received-");
        try {
            for (int i = 0; i < n; i++) {
                long rid = in.readLong();
                int label = in.readInt();
                CodeKind kind = CodeKind.ofTag(in.readByte());
                int c = in.readInt();
                int h = in.readInt();
                int wd = in.readInt();
                long values = (long) c * h * wd;
                if (c < 1 || h < 1 || wd < 1 || values * kind.bytesPerValue() > Integer.MAX_VALUE) {
                    throw new IOException("corrupt image stream: image " + i + " is " + c + "x" + h + "x" + wd);
                }
                byte[] b = new byte[(int) values * kind.bytesPerValue()];
                in.readFully(b);
                ByteBuffer bb = ByteBuffer.wrap(b).order(StoreLayout.ORDER);
                RawImage img = switch (kind) {
                    case U8 -> RawImage.u8(b, c, h, wd);
                    case U8_SCALED -> RawImage.u8Scaled(b, c, h, wd);
                    case U16 -> {
                        short[] s = new short[(int) values];
                        bb.asShortBuffer().get(s);
                        yield RawImage.u16(s, c, h, wd);
                    }
                    case F32 -> {
                        float[] f = new float[(int) values];
                        bb.asFloatBuffer().get(f);
                        yield RawImage.f32(f, c, h, wd);
                    }
                };
                w.add(rid, label, img);
            }
            return w.finish();
        } catch (IOException | RuntimeException e) {
            w.close();
            throw e;
        }
    }
}
