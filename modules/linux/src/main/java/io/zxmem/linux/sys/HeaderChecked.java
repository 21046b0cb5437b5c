package io.zxmem.linux.sys;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a class whose {@code public static final} int and long fields are C constants of the same
 * name, and whose {@code public static final} {@link java.lang.foreign.StructLayout} fields mirror the
 * C struct named by the layout's name. The header test compiles {@code native-headers/} with gcc and
 * checks every one of them against the system headers; a constant with no C twin fails that test.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface HeaderChecked {
}
