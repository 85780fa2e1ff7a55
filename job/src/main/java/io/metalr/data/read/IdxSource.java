package io.metalr.data.read;

import io.metalr.data.records.RecordImage;
import io.metalr.udf.image.RawImage;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.function.LongPredicate;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;

/**
 * The images of IDX files read in place: a part is a row range of a raw images file (row i at
 * byte {@code 16 + i x h x w}, read with one seek), or a whole {@code .gz} file, which one task
 * gunzips as a stream (a gzip stream cannot be entered in the middle). Rows are 8-bit codes:
 * their float, {@code v / 255f}, is {@link IdxReader}'s.
 */
final class IdxSource extends PartedFileSource<IdxSource.Part> {

    private static final long serialVersionUID = 1L;

    /**
     * Rows {@code from..to} of an images file of {@code n} declared {@code h x w} images
     * (records {@code ridBase + row}); gz: the whole file, streamed.
     */
    record Part(String path, String name, int n, int h, int w, long from, long to, long ridBase, boolean gz)
            implements Serializable {}

    IdxSource(String dir, String name, List<Part> parts) {
        super(name, "idx " + dir, parts);
    }

    @Override
    String whereIn(Part p, long rid) {
        return rid >= p.ridBase() + p.from() && rid < p.ridBase() + p.to() ? p.name() + "[" + (rid - p.ridBase()) + "]"
                : null;
    }

    @Override
    public Iterator<RecordImage> read(Part p, LongPredicate wanted) throws IOException {
        Configuration conf = DataPaths.configuration();
        int per = p.h() * p.w();
        List<RecordImage> out = new ArrayList<>();
        if (!p.gz()) {
            byte[] buf = new byte[Math.toIntExact((p.to() - p.from()) * per)];
            try (FSDataInputStream in = (FSDataInputStream) DataPaths.open(p.path(), conf)) {
                in.readFully(16 + p.from() * per, buf, 0, buf.length);
            }
            for (long row = p.from(); row < p.to(); row++) {
                if (wanted.test(p.ridBase() + row)) {
                    int at = (int) (row - p.from()) * per;
                    out.add(row(p, row, Arrays.copyOfRange(buf, at, at + per)));
                }
            }
            return out.iterator();
        }
        try (InputStream in = DataPaths.openMaybeGunzip(p.path(), conf)) {
            in.readNBytes(16);
            for (long row = 0; row < p.to(); row++) {
                byte[] px;
                try {
                    px = in.readNBytes(per);
                } catch (EOFException e) {
                    px = new byte[0]; // a cut-off gzip tail: the rows from here are missing
                }
                if (px.length < per) {
                    // today's message for the first missing image, on every missing one
                    String msg = p.name() + "[" + row + "]: truncated file: header says " + p.n() + " images of "
                            + p.h() + "x" + p.w() + ", only " + row + " complete";
                    for (long r = row; r < p.to(); r++) {
                        if (wanted.test(p.ridBase() + r)) {
                            out.add(RecordImage.bad(p.ridBase() + r, p.name() + "[" + r + "]", msg));
                        }
                    }
                    break;
                }
                if (row >= p.from() && wanted.test(p.ridBase() + row)) {
                    out.add(row(p, row, px));
                }
            }
        }
        return out.iterator();
    }

    private static RecordImage row(Part p, long row, byte[] px) {
        return RecordImage.of(p.ridBase() + row, p.name() + "[" + row + "]", RawImage.u8(px, 1, p.h(), p.w()));
    }
}
