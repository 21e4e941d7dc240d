package dev.llamasimd.testing;

/** Comparisons of logit rows. */
public final class Compare {
    private Compare() {}

    /** max |a[aOff + i] - b[bOff + i]| over {@code n} values. */
    public static double maxAbsDiff(float[] a, int aOff, float[] b, int bOff, int n) {
        double m = 0;
        for (int i = 0; i < n; i++) {
            double d = Math.abs((double) a[aOff + i] - b[bOff + i]);
            if (!(d <= m)) {
                m = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
            }
        }
        return m;
    }

    public static double maxAbs(float[] a) {
        double m = 0;
        for (float v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }
}
