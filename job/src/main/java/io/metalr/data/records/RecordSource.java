package io.metalr.data.records;

import io.metalr.udf.image.BadRecordException;
import io.metalr.udf.image.ImageDecoder;
import io.metalr.udf.image.RawImage;

import java.io.Serializable;

/**
 * Where the images of a data set's records live and how one becomes a {@link RawImage}: small and
 * serializable, so executors get it whole and read their records themselves. A {@link TableSource}
 * is read through Spark SQL; every other format is a {@link PartedSource}, read a part at a time.
 */
public interface RecordSource extends Serializable {

    /** The data set's name (a file or folder name), for descriptions and store names. */
    String name();

    /** Where a record is, for messages (a row, a path, an array index); driver side. */
    String where(long rid);

    /** What a load of this source reads (paths, files, columns, limits): part of the data key. */
    String identity();

    /**
     * The image of a fetched record at its source depth; a bad record throws a
     * {@link BadRecordException} naming it. Encoded bytes are decoded here, by the store's builder.
     */
    default RawImage decode(RecordImage r, long maxPixels) {
        if (r.bad() != null) {
            throw new BadRecordException(r.bad());
        }
        if (r.depth() != null) {
            return r.raw();
        }
        try {
            return ImageDecoder.decodeRaw(r.encoded(), r.where(), maxPixels);
        } catch (BadRecordException e) {
            throw e.getMessage() != null && e.getMessage().contains(r.where()) ? e
                    : new BadRecordException(r.where() + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new BadRecordException(r.where() + ": not a readable image: " + e, e);
        }
    }
}
