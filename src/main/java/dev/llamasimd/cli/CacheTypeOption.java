package dev.llamasimd.cli;

import dev.llamasimd.generate.CacheType;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** {@code --cache-type}, for the commands that make KV caches. */
final class CacheTypeOption {
    @Option(names = "--cache-type", paramLabel = "TYPE", defaultValue = "F32", converter = Converter.class,
            description = "KV cache element type: F32, F16 or BF16; F16 and BF16 take half the memory and round"
                    + " the keys and values (default: ${DEFAULT-VALUE})")
    CacheType cacheType;

    /** A type name in any case; an unknown one is a usage error that lists the types. */
    static final class Converter implements CommandLine.ITypeConverter<CacheType> {
        @Override
        public CacheType convert(String value) {
            try {
                return CacheType.named(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
