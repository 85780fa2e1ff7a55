package io.metalr.fuzz;

import io.metalr.fuzz.Mutator.Mutant;
import io.metalr.model.BadModelException;
import io.metalr.model.WeightFiles;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Weight files as {@code model.pretrained} reads them ({@link WeightFiles#read}, what the job's
 * RunSetup calls on the opened file): PyTorch state dicts, TorchScript archives, safetensors.
 */
final class ModelTargets {

    private ModelTargets() {}

    abstract static class ModelTarget extends FuzzTarget {

        abstract String file();

        @Override
        void read(Path work, Seed seed, byte[] bytes, boolean skip) throws Exception {
            Path f = write(work.resolve(file()), bytes);
            try (InputStream in = Files.newInputStream(f)) {
                WeightFiles.read(in, f.toString());
            }
        }

        @Override
        Class<? extends Throwable> refusal() {
            return BadModelException.class;
        }

        @Override
        List<String> names(Path work, Seed seed) {
            return List.of(file());
        }
    }

    /** A PyTorch zip: entries mutated inside a valid zip, or the zip's own fields (also as Zip64). */
    static final class TorchZip extends ModelTarget {

        private final String name;
        private final List<String> resources;

        TorchZip(String name, List<String> resources) {
            this.name = name;
            this.resources = resources;
        }

        @Override
        String name() {
            return name;
        }

        @Override
        String file() {
            return "model.pt";
        }

        @Override
        List<Seed> seeds(Path work) throws IOException {
            List<Seed> out = new ArrayList<>();
            for (String r : resources) {
                try (InputStream in = ModelTargets.class.getResourceAsStream("/torch/" + r)) {
                    if (in == null) {
                        throw new IOException("no test resource /torch/" + r);
                    }
                    out.add(new Seed(file(), in.readAllBytes(), List.of()));
                }
            }
            return out;
        }

        /** Each seed's entries, unzipped once. */
        private final Map<Seed, Map<String, byte[]>> unzipped = new java.util.HashMap<>();

        @Override
        Mutant structured(Seed s, Random r) {
            Map<String, byte[]> entries = new LinkedHashMap<>(unzipped.computeIfAbsent(s, x -> Seeds.unzip(x.bytes())));
            List<String> names = new ArrayList<>(entries.keySet());
            int kind = r.nextInt(5);
            if (kind <= 1) {
                // one entry mutated, the zip around it intact (right sizes and CRCs): the pickle and tensors are the target
                String pick = names.get(r.nextInt(names.size()));
                for (String n : names) {
                    if (n.endsWith("data.pkl") && r.nextBoolean()) {
                        pick = n;
                    }
                }
                Mutant m = Mutator.generic(entries.get(pick), r);
                entries.put(pick, m.bytes());
                return new Mutant(Seeds.zip(entries, false, false).bytes(), pick + ": " + m.what());
            }
            Seeds.Zip z = Seeds.zip(entries, kind == 4, kind >= 3);
            Mutant m = Mutator.field(z.bytes(), z.fields(), r);
            return new Mutant(m.bytes(), (kind >= 3 ? "zip64 " : "") + m.what());
        }
    }

    static final class Safetensors extends ModelTarget {

        private static final String[] DTYPES = {"F32", "F64", "F16", "BF16", "I64", "I32", "I8", "U8", "BOOL", "X9", ""};

        @Override
        String name() {
            return "safetensors";
        }

        @Override
        String file() {
            return "model.safetensors";
        }

        @Override
        List<Seed> seeds(Path work) {
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put("{\"__metadata__\":{\"format\":\"pt\"},\"conv.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],"
                    + "\"data_offsets\":[0,24]},\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[24,40]}}", "40");
            headers.put("{\"a\":{\"dtype\":\"I64\",\"shape\":[2,1],\"data_offsets\":[0,16]},"
                    + "\"b\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[16,24]}}", "24");
            List<Seed> out = new ArrayList<>();
            for (var e : headers.entrySet()) {
                byte[] data = new byte[Integer.parseInt(e.getValue())];
                ByteBuffer b = ByteBuffer.wrap(data).order(Seeds.LE);
                for (int i = 0; i + 4 <= data.length; i += 4) {
                    b.putFloat(i, i / 8f);
                }
                byte[] file = Seeds.safetensors(e.getKey(), data);
                out.add(new Seed(file(), file, List.of(Mutator.Field.of("header length", 0, 8, Seeds.LE))));
            }
            return out;
        }

        @Override
        Mutant structured(Seed s, Random r) {
            if (r.nextInt(4) == 0) {
                return Mutator.field(s.bytes(), s.fields(), r);
            }
            // a number or dtype of the JSON header replaced, the length field kept right
            int len = (int) ByteBuffer.wrap(s.bytes()).order(Seeds.LE).getLong(0);
            String header = new String(s.bytes(), 8, len, StandardCharsets.UTF_8);
            byte[] data = java.util.Arrays.copyOfRange(s.bytes(), 8 + len, s.bytes().length);
            String changed;
            if (r.nextBoolean()) {
                List<int[]> numbers = new ArrayList<>();
                var m = java.util.regex.Pattern.compile("\\d+").matcher(header);
                while (m.find()) {
                    numbers.add(new int[] {m.start(), m.end()});
                }
                int[] n = numbers.get(r.nextInt(numbers.size()));
                String v = r.nextInt(5) == 0 ? "-1" : Long.toUnsignedString(Mutator.INTERESTING[r.nextInt(Mutator.INTERESTING.length)]);
                changed = header.substring(0, n[0]) + v + header.substring(n[1]);
            } else {
                changed = header.replaceFirst("\"F32\"|\"I64\"|\"F64\"", "\"" + DTYPES[r.nextInt(DTYPES.length)] + "\"");
            }
            return new Mutant(Seeds.safetensors(changed, data), "header " + changed);
        }
    }
}
