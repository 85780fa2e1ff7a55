package io.metalr.data.read;

import io.metalr.data.records.RecordImage;
import io.metalr.formats.BoundedZip;
import io.metalr.formats.MalformedFileException;
import io.metalr.formats.NpyArray;
import io.metalr.formats.NpyFormat;
import io.metalr.udf.image.BadRecordException;

import java.io.IOException;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.LongPredicate;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;

/**
 * The images of a MedMNIST {@code .npz} read in place: a part is a row range of a STORED
 * {@code <split>_images} entry (a task seeks to {@code data start + row x row bytes} and reads its
 * rows), or a whole entry that cannot be cut: a DEFLATED one (its rows are only reachable by
 * inflating from the start), or an integer array other than uint8 (its scale, 1/255 or 1/65535,
 * needs the whole array's maximum). Pixels are computed by {@link MedMnistReader}'s own code, so
 * they are bitwise today's; uint8 rows stay 8-bit codes (see {@link MedMnistReader#records}).
 */
final class NpzSource extends PartedFileSource<NpzSource.Part> {

    private static final long serialVersionUID = 1L;

    /**
     * Rows {@code from..to} of split {@code split}'s images (records {@code ridBase + row}); the
     * entry as the central directory gives it; the array's header fields; whole: read the entry whole.
     */
    record Part(String split, String entry, int method, long compressedSize, long size, long crc, long localOffset,
            String code, String descr, long[] shape, int headerBytes, boolean bigEndian, long from, long to,
            long ridBase, boolean whole) implements Serializable {

        BoundedZip.Entry zipEntry() {
            return new BoundedZip.Entry(entry, method, compressedSize, size, crc, localOffset);
        }

        int channels() {
            return shape.length == 4 ? (int) shape[3] : 1;
        }
    }

    private final String path;
    private final long maxFileBytes;

    NpzSource(String path, String name, long maxFileBytes, List<Part> parts) {
        super(name, "npz " + path + "\nmax_file_bytes " + maxFileBytes, parts);
        this.path = path;
        this.maxFileBytes = maxFileBytes;
    }

    @Override
    String whereIn(Part p, long rid) {
        return rid >= p.ridBase() + p.from() && rid < p.ridBase() + p.to() ? id(p, rid - p.ridBase()) : null;
    }

    private String id(Part p, long row) {
        return name() + ":" + p.split() + "[" + row + "]";
    }

    @Override
    public Iterator<RecordImage> read(Part p, LongPredicate wanted) throws IOException {
        Configuration conf = DataPaths.configuration();
        long length = DataPaths.dataFile(path, conf).getLen();
        NpyArray rows;
        float scale;
        long first;
        try (FSDataInputStream in = (FSDataInputStream) DataPaths.open(path, conf)) {
            BoundedZip.Ranges r = in::readFully;
            if (p.whole()) {
                ByteBuffer entry = BoundedZip.readEntry(r, length, p.zipEntry(), n -> name() + " key " + p.entry(),
                        new BoundedZip.Limits(maxFileBytes, "data.max_file_bytes", 0));
                rows = NpyFormat.parse(entry, name() + " key " + p.entry(), Npy.DTYPES, Npy.SUPPORTED);
                scale = MedMnistReader.pixelScale(rows);
                first = 0;
            } else {
                long start = BoundedZip.dataStart(r, length, p.zipEntry(), n -> name() + " key " + p.entry());
                long[] shape = p.shape().clone();
                long rowBytes = Math.multiplyExact(p.shape()[1] * p.shape()[2] * p.channels(), (long) (p.code().charAt(1) - '0'));
                shape[0] = p.to() - p.from();
                byte[] buf = new byte[Math.toIntExact(Math.multiplyExact(shape[0], rowBytes))];
                in.readFully(start + p.headerBytes() + p.from() * rowBytes, buf, 0, buf.length);
                rows = new NpyArray(p.code(), p.descr(), shape,
                        ByteBuffer.wrap(buf).order(p.bigEndian() ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN));
                scale = MedMnistReader.pixelScale(rows); // u1, b1 or float: the scale needs no maximum
                first = p.from();
            }
        } catch (MalformedFileException e) {
            throw new BadRecordException(e.getMessage(), e);
        }
        int c = p.channels();
        int h = (int) p.shape()[1];
        int w = (int) p.shape()[2];
        List<RecordImage> out = new ArrayList<>();
        for (long row = p.from(); row < p.to(); row++) {
            long rid = p.ridBase() + row;
            if (!wanted.test(rid)) {
                continue;
            }
            String id = id(p, row);
            try {
                out.add(RecordImage.of(rid, id,
                        MedMnistReader.raw(rows, (int) (row - first), c, h, w, c * h * w, scale, id)));
            } catch (BadRecordException e) {
                out.add(RecordImage.bad(rid, id, e.getMessage()));
            }
        }
        return out.iterator();
    }
}
