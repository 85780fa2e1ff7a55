package io.metalr.fuzz;

import io.metalr.Compress;
import io.metalr.TestImages;
import io.metalr.data.read.ManifestReader;
import io.metalr.fuzz.Mutator.Field;
import io.metalr.fuzz.Mutator.Mutant;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** CSV and Parquet manifests, read by the {@code manifest} format, next to the images they list. */
final class ManifestTargets {

    private ManifestTargets() {}

    /** What a manifest row may point at: good images, a volume, a broken image, a folder. */
    static void companions(Path work) throws Exception {
        FuzzTarget.write(work.resolve("img0.png"), TestImages.png(Seeds.image(BufferedImage.TYPE_BYTE_GRAY, 7, 6)));
        FuzzTarget.write(work.resolve("img1.png"), TestImages.png(Seeds.image(BufferedImage.TYPE_3BYTE_BGR, 7, 6)));
        FuzzTarget.write(work.resolve("img2.jpg"), Seeds.jpeg(Seeds.image(BufferedImage.TYPE_BYTE_GRAY, 9, 9), false));
        FuzzTarget.write(work.resolve("vol.nii.gz"), Compress.gzip(Seeds.nifti(Seeds.LE, true, 8, 8, 3, false)));
        FuzzTarget.write(work.resolve("broken.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        Files.createDirectories(work.resolve("sub"));
    }

    static void read(Path manifest, boolean skip) throws Exception {
        ManifestReader.read(manifest.toString(), FuzzTarget.mode(skip), false, null, FuzzTarget.LIMITS,
                FuzzTarget.conf());
    }

    static final class Csv extends FuzzTarget {

        private static final String[] TOKENS = {"\"", "\"\"", ",", "\n", "\r\n", "\uFEFF", "-1", "99999999999999999999",
            "2147483648", "NaN", "1e308", "3.5", "img0.png", "img1.png", "img2.jpg", "vol.nii.gz", "broken.png", "sub",
            ".", "..", "/", "nope.png", "x.nii", "train", "val", "test", "valid", "foo", "label", "path", "\0",
            "\uFFFF", "%", "file:", ":", "#", " ", "a:b", "../img0.png", "img0.png.gz", "\u00e9"};

        @Override
        String name() {
            return "csv";
        }

        @Override
        List<Seed> seeds(Path work) throws Exception {
            companions(work);
            return Stream.of(
                    "path,label\nimg0.png,0\nimg1.png,1\nimg2.jpg,1\n",
                    "path,label,patient_id,split\nimg0.png,cat,p1,train\nimg1.png,dog,p2,val\nvol.nii.gz,cat,p3,test\n",
                    "\uFEFFPath,Label,Split\n\"img0.png\",\"0\",train\nimg1.png,1.0,test\n\"img2.jpg\",1,train\n")
                    .map(t -> new Seed("m.csv", t.getBytes(StandardCharsets.UTF_8), List.<Field>of()))
                    .toList();
        }

        @Override
        Mutant structured(Seed s, Random r) {
            String t = new String(s.bytes(), StandardCharsets.UTF_8);
            String token = TOKENS[r.nextInt(TOKENS.length)];
            if (r.nextBoolean()) {
                int at = r.nextInt(t.length() + 1);
                return new Mutant((t.substring(0, at) + token + t.substring(at)).getBytes(StandardCharsets.UTF_8),
                        "'" + token + "' inserted at " + at);
            }
            // a whole field replaced
            List<int[]> fields = new ArrayList<>();
            int start = 0;
            for (int i = 0; i <= t.length(); i++) {
                if (i == t.length() || t.charAt(i) == ',' || t.charAt(i) == '\n') {
                    fields.add(new int[] {start, i});
                    start = i + 1;
                }
            }
            int[] f = fields.get(r.nextInt(fields.size()));
            return new Mutant((t.substring(0, f[0]) + token + t.substring(f[1])).getBytes(StandardCharsets.UTF_8),
                    "field at " + f[0] + " replaced by '" + token + "'");
        }

        @Override
        void read(Path work, Seed seed, byte[] bytes, boolean skip) throws Exception {
            ManifestTargets.read(write(work.resolve(seed.file()), bytes), skip);
        }
    }

    static final class Parquet extends FuzzTarget {

        /**
         * The session the reader picks up (it takes the active one): one core, no adaptive
         * planning and no log of each failed task, to keep a read of a small file near 100 ms.
         */
        static SparkSession session() {
            SparkSession spark = SparkSession.builder().master("local[1]").appName("metalr-fuzz")
                    .config("spark.ui.enabled", "false")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1")
                    .config("spark.sql.adaptive.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "1")
                    .getOrCreate();
            spark.sparkContext().setLogLevel("OFF");
            return spark;
        }

        @Override
        String name() {
            return "parquet";
        }

        @Override
        List<Seed> seeds(Path work) throws Exception {
            companions(work);
            SparkSession spark = session();
            StructType schema = new StructType().add("path", DataTypes.StringType).add("label", DataTypes.StringType)
                    .add("patient_id", DataTypes.StringType).add("split", DataTypes.StringType);
            List<Row> rows = List.of(RowFactory.create("img0.png", "0", "p1", "train"),
                    RowFactory.create("img1.png", "1", "p2", "val"), RowFactory.create("img2.jpg", "1", "p3", "test"),
                    RowFactory.create("vol.nii.gz", "0", "p4", "train"));
            List<Seed> out = new ArrayList<>();
            for (String codec : new String[] {"none", "snappy"}) {
                Path dir = work.resolve("seed-" + codec);
                spark.createDataFrame(rows, schema).coalesce(1).write().mode("overwrite").option("compression", codec)
                        .parquet(dir.toString());
                Path part;
                try (Stream<Path> files = Files.list(dir)) {
                    part = files.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
                }
                byte[] b = Files.readAllBytes(part);
                out.add(new Seed("m.parquet", b, List.of(Field.of("footer length", b.length - 8, 4, Seeds.LE),
                        Field.of("footer magic", b.length - 4, 4, Seeds.LE), Field.of("magic", 0, 4, Seeds.LE))));
            }
            return out;
        }

        @Override
        Mutant structured(Seed s, Random r) {
            // the footer (Thrift metadata: schema, row groups, page offsets and sizes) is where sizes live
            byte[] b = s.bytes();
            if (r.nextBoolean()) {
                int footer = (int) Mutator.get(b, s.fields().get(0));
                int from = Math.max(0, b.length - 8 - footer);
                byte[] out = b.clone();
                int at = from + r.nextInt(Math.max(1, b.length - 8 - from));
                long v = Mutator.INTERESTING[r.nextInt(Mutator.INTERESTING.length)];
                out[at] = (byte) v;
                return new Mutant(out, "footer byte " + at + " = " + (v & 0xff));
            }
            return super.structured(s, r);
        }

        @Override
        void read(Path work, Seed seed, byte[] bytes, boolean skip) throws Exception {
            ManifestTargets.read(write(work.resolve(seed.file()), bytes), skip);
        }
    }
}
