package io.metalr.udf.ml;

import io.metalr.udf.image.BadRecordException;
import io.metalr.udf.predict.ModelInput;
import io.metalr.udf.predict.Prediction;
import io.metalr.udf.predict.Scorer;
import io.metalr.udf.predict.Scorers;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * The rows of one partition with three columns appended (probabilities, label, class name),
 * scored {@code batchSize} rows at a time through the JVM's cached {@link Scorer}. Lazy: it holds
 * one batch, never the partition, and an empty partition never loads the model.
 */
final class ScoringIterator implements Iterator<Row> {

    private final Iterator<Row> in;
    private final String modelDir;
    private final int inputIndex;
    private final boolean pixelsInput;
    private final int idIndex;
    private final int batchSize;
    private final long maxImagePixels;
    private final HandleInvalid onInvalid;
    private final ArrayDeque<Row> ready = new ArrayDeque<>();
    private Scorer scorer;

    /**
     * @param pixelsInput whether the input column holds preprocessed values (else encoded images)
     * @param idIndex the column that names a row in error messages, or -1
     */
    ScoringIterator(Iterator<Row> in, String modelDir, int inputIndex, boolean pixelsInput, int idIndex,
            int batchSize, HandleInvalid onInvalid, long maxImagePixels) {
        this.in = in;
        this.modelDir = modelDir;
        this.inputIndex = inputIndex;
        this.pixelsInput = pixelsInput;
        this.idIndex = idIndex;
        this.batchSize = batchSize;
        this.maxImagePixels = maxImagePixels;
        this.onInvalid = onInvalid;
    }

    @Override
    public boolean hasNext() {
        // a batch of skipped rows yields nothing: keep reading
        while (ready.isEmpty() && in.hasNext()) {
            scoreNextBatch();
        }
        return !ready.isEmpty();
    }

    @Override
    public Row next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        return ready.poll();
    }

    private void scoreNextBatch() {
        List<Row> rows = new ArrayList<>(batchSize);
        List<float[]> inputs = new ArrayList<>(batchSize);
        List<Integer> slots = new ArrayList<>(batchSize); // row -> input index, -1 = null outputs
        while (rows.size() < batchSize && in.hasNext()) {
            Row row = in.next();
            if (row.isNullAt(inputIndex)) {
                rows.add(row);
                slots.add(-1);
                continue;
            }
            try {
                float[] x = input(row);
                rows.add(row);
                slots.add(inputs.size());
                inputs.add(x);
            } catch (BadRecordException e) {
                if (onInvalid == HandleInvalid.ERROR) {
                    throw e;
                }
                if (onInvalid == HandleInvalid.KEEP) {
                    rows.add(row);
                    slots.add(-1);
                }
            }
        }
        float[][] probabilities = inputs.isEmpty() ? new float[0][] : scorer().probabilities(inputs.toArray(new float[0][]));
        for (int i = 0; i < rows.size(); i++) {
            int slot = slots.get(i);
            Prediction p = slot < 0 ? null : Prediction.of(probabilities[slot], scorer().classes());
            ready.add(append(rows.get(i), p));
        }
    }

    private float[] input(Row row) {
        if (pixelsInput) {
            List<Float> values = row.getList(inputIndex);
            String source = source(row, values.size() + " values");
            float[] x = new float[values.size()];
            for (int i = 0; i < x.length; i++) {
                Float v = values.get(i);
                if (v == null) {
                    throw new BadRecordException(source + ": null at index " + i);
                }
                x[i] = v;
            }
            return ModelInput.fromPixels(scorer().preprocessor(), x, source);
        }
        byte[] image = (byte[]) row.get(inputIndex);
        return ModelInput.fromImage(scorer().preprocessor(), image, source(row, "an image of " + image.length + " bytes"),
                maxImagePixels);
    }

    /** The id column's value when there is one, else what the row holds. */
    private String source(Row row, String what) {
        if (idIndex >= 0 && !row.isNullAt(idIndex)) {
            return String.valueOf(row.get(idIndex));
        }
        return "a row with " + what;
    }

    private Scorer scorer() {
        if (scorer == null) {
            scorer = Scorers.forModel(modelDir);
        }
        return scorer;
    }

    private static Row append(Row row, Prediction p) {
        int n = row.length();
        Object[] values = new Object[n + 3];
        for (int i = 0; i < n; i++) {
            values[i] = row.get(i);
        }
        if (p != null) {
            values[n] = p.probabilities();
            values[n + 1] = p.label();
            values[n + 2] = p.className();
        }
        return RowFactory.create(values);
    }
}
