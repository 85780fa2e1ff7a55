package io.metalr.data.load;

import io.metalr.data.records.RecordImage;
import io.metalr.data.records.RecordSource;
import io.metalr.udf.image.RawImage;

import java.io.Serializable;

/** One record on its way to its store: its label and its image as the reading task fetched it. */
record RecordContent(long rid, int label, RecordImage image) implements Serializable {

    /** Its image at source depth; a bad record throws, naming it. */
    RawImage decode(RecordSource source, long maxPixels) {
        return source.decode(image, maxPixels);
    }
}
