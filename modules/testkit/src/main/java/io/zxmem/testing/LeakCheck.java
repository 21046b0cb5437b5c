package io.zxmem.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * How {@link LeakCheckExtension} checks one test class. Without it, every test is checked on its own:
 * what the test leaves behind that was not there before it fails that test.
 *
 * <p>A class whose tests legitimately share resources that a test creates lazily and the class closes
 * in {@code @AfterAll} says {@code @LeakCheck(scope = Scope.CLASS, reason = "...")}: the class as a
 * whole must leave nothing behind. A class that cannot be checked at all (it hands resources to a
 * later class on purpose) says {@code Scope.NONE}, with the reason. The same can be said without
 * touching the class through the configuration parameters {@code zxmem.leakcheck.classScope} and
 * {@code zxmem.leakcheck.exclude} (comma-separated fully qualified class names, in
 * {@code junit-platform.properties}).
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface LeakCheck {
    /** Where the check applies. */
    enum Scope {
        /** After each test, against what was open just before it (the default). */
        TEST,
        /** After the class's {@code @AfterAll}, against what was open before its {@code @BeforeAll}. */
        CLASS,
        /** Not at all. */
        NONE
    }

    /** @return where the check applies */
    Scope scope() default Scope.TEST;

    /** @return why this class is not checked test by test (required in spirit whenever scope is not TEST) */
    String reason() default "";
}
