package dev.llamasimd.io;

import dev.llamasimd.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face transformers model directory: {@code config.json} and the weights, either one
 * {@code model.safetensors} or, when {@code model.safetensors.index.json} exists, the shards its
 * {@code weight_map} names (each shard mapped once). {@code tokenizer_config.json} and
 * {@code generation_config.json} are read when present.
 *
 * <p>With an index, the index decides: {@link #tensors()} holds exactly the tensors of the
 * {@code weight_map}, each taken from the shard it names (a shard's other tensors are ignored),
 * in shard order and, within a shard, in file order. A tensor missing from its shard, a shard
 * file that does not exist, or a shard name that is not a plain file name in the directory is a
 * {@link ModelFormatException} naming the index file.
 */
public final class HfModelDir implements TensorSource {
    public static final String CONFIG = "config.json";
    public static final String WEIGHTS = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";
    public static final String TOKENIZER_CONFIG = "tokenizer_config.json";
    public static final String GENERATION_CONFIG = "generation_config.json";

    private final Path dir;
    private final Json.Obj config;
    private final Json.Obj tokenizerConfig;
    private final Json.Obj generationConfig;
    private final List<SafetensorsFile> files;
    private final Map<String, Tensor> tensors;

    private HfModelDir(Path dir, Json.Obj config, Json.Obj tokenizerConfig, Json.Obj generationConfig,
                       List<SafetensorsFile> files, Map<String, Tensor> tensors) {
        this.dir = dir;
        this.config = config;
        this.tokenizerConfig = tokenizerConfig;
        this.generationConfig = generationConfig;
        this.files = files;
        this.tensors = tensors;
    }

    /** Whether {@code path} is a directory with a {@code config.json} and safetensors weights. */
    public static boolean looksLikeHfDir(Path path) {
        return Files.isDirectory(path) && Files.isRegularFile(path.resolve(CONFIG))
                && (Files.isRegularFile(path.resolve(WEIGHTS)) || Files.isRegularFile(path.resolve(INDEX)));
    }

    /**
     * Reads the configuration and maps the weights of a model directory.
     *
     * @throws ModelFormatException naming the file at fault if a file is missing or malformed
     */
    public static HfModelDir open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new ModelFormatException(dir, "not a directory");
        }
        Path configFile = dir.resolve(CONFIG);
        if (!Files.isRegularFile(configFile)) {
            throw new ModelFormatException(dir, "no " + CONFIG + ": not a Hugging Face model directory");
        }
        Json.Obj config = Json.parseObject(configFile);
        Json.Obj tokenizerConfig = optionalObject(dir.resolve(TOKENIZER_CONFIG));
        Json.Obj generationConfig = optionalObject(dir.resolve(GENERATION_CONFIG));
        Path index = dir.resolve(INDEX);
        Path weights = dir.resolve(WEIGHTS);
        List<SafetensorsFile> files = new ArrayList<>();
        try {
            Map<String, Tensor> tensors;
            if (Files.exists(index)) {
                tensors = openShards(dir, index, files);
            } else if (Files.isRegularFile(weights)) {
                SafetensorsFile file = SafetensorsFile.open(weights);
                files.add(file);
                tensors = file.tensors();
            } else {
                throw new ModelFormatException(dir, "neither " + WEIGHTS + " nor " + INDEX + " is present");
            }
            return new HfModelDir(dir, config, tokenizerConfig, generationConfig,
                    Collections.unmodifiableList(files), tensors);
        } catch (RuntimeException e) {
            files.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    private static Json.Obj optionalObject(Path file) {
        return Files.isRegularFile(file) ? Json.parseObject(file) : null;
    }

    /** Opens every shard the index names (adding each to {@code files}) and gathers its tensors. */
    private static Map<String, Tensor> openShards(Path dir, Path index, List<SafetensorsFile> files) {
        Json.Obj weightMap = Json.parseObject(index).getObject("weight_map");
        if (weightMap.keys().isEmpty()) {
            throw new ModelFormatException(index, "weight_map is empty");
        }
        Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
        for (String name : weightMap.keys()) {
            String shardName = weightMap.getString(name);
            if (!shards.containsKey(shardName)) {
                SafetensorsFile shard = SafetensorsFile.open(shardPath(dir, index, shardName));
                files.add(shard);
                shards.put(shardName, shard);
            }
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, SafetensorsFile> shard : shards.entrySet()) {
            for (Tensor t : shard.getValue().tensors().values()) {
                if (shard.getKey().equals(weightMap.get(t.name()))) {
                    tensors.put(t.name(), t);
                }
            }
        }
        for (String name : weightMap.keys()) {
            if (!tensors.containsKey(name)) {
                throw new ModelFormatException(index, "weight_map puts tensor '" + name + "' in shard '"
                        + weightMap.getString(name) + "', which has no tensor of that name");
            }
        }
        return Collections.unmodifiableMap(tensors);
    }

    private static Path shardPath(Path dir, Path index, String shardName) {
        Path name = dir.getFileSystem().getPath(shardName);
        if (shardName.isEmpty() || name.isAbsolute() || name.getNameCount() != 1
                || shardName.equals(".") || shardName.equals("..")) {
            throw new ModelFormatException(index, "weight_map names shard '" + shardName
                    + "', which is not a plain file name in the model directory");
        }
        Path shard = dir.resolve(name);
        if (!Files.isRegularFile(shard)) {
            throw new ModelFormatException(index, "weight_map names shard '" + shardName
                    + "', which does not exist in " + dir);
        }
        return shard;
    }

    /** The model directory. */
    public Path dir() {
        return dir;
    }

    @Override
    public Path path() {
        return dir;
    }

    /** {@code config.json}. */
    public Json.Obj config() {
        return config;
    }

    /** {@code tokenizer_config.json}, or {@code null} if the directory has none. */
    public Json.Obj tokenizerConfig() {
        return tokenizerConfig;
    }

    /** {@code generation_config.json}, or {@code null} if the directory has none. */
    public Json.Obj generationConfig() {
        return generationConfig;
    }

    /** The mapped safetensors files: one, or each shard once in index order. */
    public List<SafetensorsFile> files() {
        return files;
    }

    /** Every tensor: shard by shard, in file order within a shard (read-only). */
    @Override
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    /** Unmaps every file; every tensor view becomes invalid. */
    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }

    @Override
    public String toString() {
        return "HfModelDir[" + dir + ", " + files.size() + " file(s), " + tensors.size() + " tensors]";
    }
}
