package io.metalr.model.io;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;

import io.metalr.model.BadModelException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code .safetensors} format: an 8-byte little-endian header length, a JSON header mapping
 * each tensor name to its dtype, shape and {@code data_offsets} (begin and end in the data that
 * follows the header), then the little-endian data. Every length and offset is checked against
 * the file, and tensors may not share bytes, before anything is allocated.
 */
public final class SafetensorsReader {

    /** The format's own limit on the header. */
    private static final long MAX_HEADER = 100_000_000;
    private static final JsonMapper JSON = JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    private record Entry(String name, TorchDtype dtype, long[] shape, long begin, long end) {
    }

    private SafetensorsReader() {
    }

    /** Every tensor of the file by name, in the order of their data. */
    public static LinkedHashMap<String, TensorData> read(byte[] file, String source) throws BadModelException {
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        if (file.length < 8) {
            throw new BadModelException(source + ": not a safetensors file (" + file.length + " bytes, shorter than its header length)");
        }
        long headerLength = b.getLong(0);
        if (headerLength < 2 || headerLength > MAX_HEADER || headerLength > file.length - 8) {
            throw new BadModelException(source + ": not a safetensors file, or truncated (header of " + headerLength
                    + " bytes in a file of " + file.length + ")");
        }
        JsonNode header;
        try {
            header = JSON.readTree(file, 8, (int) headerLength);
        } catch (JacksonException e) {
            throw new BadModelException(source + ": safetensors header is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new BadModelException(source + ": safetensors header cannot be read: " + e.getMessage(), e);
        }
        if (header == null || !header.isObject()) {
            throw new BadModelException(source + ": safetensors header is not a JSON object");
        }
        long dataStart = 8 + headerLength;
        long dataLength = file.length - dataStart;
        List<Entry> entries = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (!field.getKey().equals("__metadata__")) {
                entries.add(entry(field.getKey(), field.getValue(), dataLength, source));
            }
        }
        entries.sort(Comparator.comparingLong(Entry::begin));
        LinkedHashMap<String, TensorData> out = new LinkedHashMap<>();
        long covered = 0;
        for (Entry e : entries) {
            String where = source + ": tensor '" + e.name() + "'";
            if (e.begin() < covered) {
                throw new BadModelException(where + " shares bytes with another tensor (data_offsets overlap; corrupt file)");
            }
            covered = e.end();
            ByteBuffer data = b.slice((int) (dataStart + e.begin()), (int) (e.end() - e.begin())).order(ByteOrder.LITTLE_ENDIAN);
            out.put(e.name(), e.dtype().dense(e.name(), e.shape(), data, where));
        }
        return out;
    }

    private static Entry entry(String name, JsonNode info, long dataLength, String source) throws BadModelException {
        String where = source + ": tensor '" + name + "'";
        JsonNode offsets = info.path("data_offsets");
        JsonNode shape = info.path("shape");
        if (!info.path("dtype").isTextual() || !shape.isArray() || !offsets.isArray() || offsets.size() != 2) {
            throw new BadModelException(where + ": safetensors header entry needs a dtype, a shape and two data_offsets, got " + info);
        }
        TorchDtype dtype = TorchDtype.named(info.get("dtype").asText(), d -> d.safetensors, where);
        long[] dims = new long[shape.size()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = nonNegative(shape.get(i), where + ": shape");
        }
        long begin = nonNegative(offsets.get(0), where + ": data_offsets");
        long end = nonNegative(offsets.get(1), where + ": data_offsets");
        if (begin > end || end > dataLength) {
            throw new BadModelException(where + ": data_offsets [" + begin + ", " + end + "] lie outside the "
                    + dataLength + " bytes of data (corrupt or truncated file)");
        }
        return new Entry(name, dtype, dims, begin, end);
    }

    private static long nonNegative(JsonNode n, String what) throws BadModelException {
        if (!n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < 0) {
            throw new BadModelException(what + " holds " + n + ", not a non-negative integer");
        }
        return n.asLong();
    }
}
