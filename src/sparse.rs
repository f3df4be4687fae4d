//! Sparse vectors and compressed-sparse-row matrices: the features' representation.
//!
//! A document's features are a [`SparseVec`] (sorted column indices with `f32` values); a batch is
//! a [`CsrMatrix`]. The trainer reads the matrix row by row (scores) and, through
//! [`CsrMatrix::transpose`], column by column (gradient), which keeps both passes free of shared
//! writes and their results independent of the thread count. The matrix implements linfa's
//! `Records`, so it can sit in a linfa `Dataset`.

use ndarray::{ArrayBase, Data, Ix2};

/// How many entries ahead the scoring and vectorising loops ask for the cache line they will
/// need: far enough to cover a miss to the last-level cache, near enough not to evict.
pub const PREFETCH_AHEAD: usize = 12;

/// Ask the CPU to start loading the cache line that holds `slice[i]`, to be read soon (the
/// sorted but sparse reads of a large weight or idf table defeat the hardware prefetcher).
/// Nothing happens when `i` is out of range or on other architectures; results never depend on
/// it.
#[inline(always)]
pub fn prefetch<T>(slice: &[T], i: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(x) = slice.get(i) {
        // SAFETY: SSE is part of every x86_64 target, and a prefetch is only a hint: it reads
        // nothing into the program, cannot fault, and the pointer comes from a live reference.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                (x as *const T).cast(),
            );
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (slice, i);
}

/// A sparse vector: strictly increasing `indices` with their `values`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SparseVec {
    pub indices: Vec<u32>,
    pub values: Vec<f32>,
}

impl SparseVec {
    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }

    /// (index, value) pairs.
    pub fn iter(&self) -> impl Iterator<Item = (u32, f32)> + '_ {
        self.indices
            .iter()
            .copied()
            .zip(self.values.iter().copied())
    }

    /// The value at `index`, zero when absent.
    pub fn get(&self, index: u32) -> f32 {
        match self.indices.binary_search(&index) {
            Ok(k) => self.values[k],
            Err(_) => 0.0,
        }
    }

    /// Empty the vector, keeping its allocation.
    pub fn clear(&mut self) {
        self.indices.clear();
        self.values.clear();
    }
}

/// A compressed-sparse-row matrix with `u32` column indices and `f32` values.
#[derive(Clone, Debug, PartialEq)]
pub struct CsrMatrix {
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f32>,
    ncols: usize,
}

impl CsrMatrix {
    /// An empty matrix with `ncols` columns and no rows.
    pub fn new(ncols: usize) -> Self {
        CsrMatrix {
            indptr: vec![0],
            indices: Vec::new(),
            values: Vec::new(),
            ncols,
        }
    }

    /// Build from rows.
    pub fn from_rows<'a>(ncols: usize, rows: impl IntoIterator<Item = &'a SparseVec>) -> Self {
        let mut m = CsrMatrix::new(ncols);
        for r in rows {
            m.push_row(r);
        }
        m
    }

    /// Build from a dense array, keeping the non-zero entries.
    pub fn from_dense<S: Data<Elem = f64>>(a: &ArrayBase<S, Ix2>) -> Self {
        let mut m = CsrMatrix::new(a.ncols());
        for row in a.rows() {
            let mut v = SparseVec::default();
            for (j, &x) in row.iter().enumerate() {
                if x != 0.0 {
                    v.indices.push(j as u32);
                    v.values.push(x as f32);
                }
            }
            m.push_row(&v);
        }
        m
    }

    /// Append a row. Panics if an index is out of range (a programming error, not bad input).
    pub fn push_row(&mut self, row: &SparseVec) {
        assert!(
            row.indices
                .last()
                .is_none_or(|&j| (j as usize) < self.ncols),
            "column index out of range"
        );
        self.indices.extend_from_slice(&row.indices);
        self.values.extend_from_slice(&row.values);
        self.indptr.push(self.indices.len());
    }

    /// Number of rows.
    pub fn nrows(&self) -> usize {
        self.indptr.len() - 1
    }

    /// Number of columns.
    pub fn ncols(&self) -> usize {
        self.ncols
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }

    /// Row `i` as (column indices, values).
    pub fn row(&self, i: usize) -> (&[u32], &[f32]) {
        let r = self.indptr[i]..self.indptr[i + 1];
        (&self.indices[r.clone()], &self.values[r])
    }

    /// The transpose, also in CSR form (so its rows are this matrix's columns, in row order).
    pub fn transpose(&self) -> CsrMatrix {
        let mut counts = vec![0usize; self.ncols + 1];
        for &j in &self.indices {
            counts[j as usize + 1] += 1;
        }
        for j in 0..self.ncols {
            counts[j + 1] += counts[j];
        }
        let indptr = counts.clone();
        let mut next = counts;
        let mut indices = vec![0u32; self.nnz()];
        let mut values = vec![0f32; self.nnz()];
        for i in 0..self.nrows() {
            let (cols, vals) = self.row(i);
            for (&j, &v) in cols.iter().zip(vals) {
                let p = &mut next[j as usize];
                indices[*p] = i as u32;
                values[*p] = v;
                *p += 1;
            }
        }
        CsrMatrix {
            indptr,
            indices,
            values,
            ncols: self.nrows(),
        }
    }

    /// The rows listed in `rows`, in that order.
    pub fn select_rows(&self, rows: &[usize]) -> CsrMatrix {
        let mut m = CsrMatrix::new(self.ncols);
        for &i in rows {
            let (c, v) = self.row(i);
            m.indices.extend_from_slice(c);
            m.values.extend_from_slice(v);
            m.indptr.push(m.indices.len());
        }
        m
    }

    /// The columns `cols` (strictly increasing) of this matrix, numbered `0..cols.len()` in
    /// that order; entries in other columns are dropped.
    pub fn select_columns(&self, cols: &[usize]) -> CsrMatrix {
        debug_assert!(cols.windows(2).all(|w| w[0] < w[1]));
        let mut map = vec![u32::MAX; self.ncols];
        for (new, &j) in cols.iter().enumerate() {
            map[j] = new as u32;
        }
        let mut m = CsrMatrix::new(cols.len());
        for i in 0..self.nrows() {
            let (c, v) = self.row(i);
            for (&j, &x) in c.iter().zip(v) {
                let nj = map[j as usize];
                if nj != u32::MAX {
                    m.indices.push(nj);
                    m.values.push(x);
                }
            }
            m.indptr.push(m.indices.len());
        }
        m
    }

    /// Multiply every stored value of column `j` by `factor[j]` (one factor per column).
    pub fn scale_columns(&mut self, factor: impl Fn(u32) -> f32) {
        for (j, v) in self.indices.iter().zip(self.values.iter_mut()) {
            *v *= factor(*j);
        }
    }

    /// Row `i` as a [`SparseVec`].
    pub fn row_vec(&self, i: usize) -> SparseVec {
        let (c, v) = self.row(i);
        SparseVec {
            indices: c.to_vec(),
            values: v.to_vec(),
        }
    }
}

impl linfa::dataset::Records for CsrMatrix {
    type Elem = f32;
    fn nsamples(&self) -> usize {
        self.nrows()
    }
    fn nfeatures(&self) -> usize {
        self.ncols()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn transpose_round_trips_and_matches_dense() {
        let d = array![
            [1.0, 0.0, 2.0],
            [0.0, 0.0, 3.0],
            [4.0, 5.0, 0.0],
            [0.0, 0.0, 0.0]
        ];
        let m = CsrMatrix::from_dense(&d);
        assert_eq!(m.nrows(), 4);
        assert_eq!(m.nnz(), 5);
        let t = m.transpose();
        assert_eq!(t.nrows(), 3);
        assert_eq!(t.ncols(), 4);
        assert_eq!(t.row(2), (&[0u32, 1][..], &[2.0f32, 3.0][..]));
        assert_eq!(t.transpose(), m);
    }

    #[test]
    fn select_and_scale() {
        let d = array![[1.0, 0.0], [0.0, 2.0], [3.0, 4.0]];
        let mut m = CsrMatrix::from_dense(&d).select_rows(&[2, 0]);
        m.scale_columns(|j| if j == 1 { 10.0 } else { 1.0 });
        assert_eq!(m.row(0), (&[0u32, 1][..], &[3.0f32, 40.0][..]));
        assert_eq!(m.row_vec(1).get(0), 1.0);
        assert_eq!(m.row_vec(1).get(1), 0.0);
        // Columns 1 and 2 of a three-column matrix, renumbered 0 and 1; column 0 dropped.
        let d = array![[1.0, 0.0, 5.0], [0.0, 2.0, 0.0], [3.0, 4.0, 6.0]];
        let c = CsrMatrix::from_dense(&d).select_columns(&[1, 2]);
        assert_eq!((c.nrows(), c.ncols(), c.nnz()), (3, 2, 4));
        assert_eq!(c.row(0), (&[1u32][..], &[5.0f32][..]));
        assert_eq!(c.row(2), (&[0u32, 1][..], &[4.0f32, 6.0][..]));
    }
}
