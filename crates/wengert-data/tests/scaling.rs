//! Standardization and min-max scaling are fitted on the training split only
//! and applied unchanged to the others.

use wengert_data::{
    embedded, random_split, Dataset, MinMaxScaler, SplitFractions, Standardizer, Subset,
};
use wengert_tensor::Tensor;

fn column_stats(x: &Tensor<f64>, column: usize) -> (f64, f64) {
    let (n, d) = (x.shape()[0], x.shape()[1]);
    let v: Vec<f64> = (0..n).map(|r| x.to_vec()[r * d + column]).collect();
    let mean = v.iter().sum::<f64>() / n as f64;
    let var = v.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / n as f64;
    (mean, var.sqrt())
}

#[test]
fn standardized_training_split_has_zero_mean_and_unit_std() {
    let airfoil = embedded::airfoil().unwrap().cast::<f64>();
    let split = random_split(airfoil.len(), SplitFractions::new(0.7, 0.3, 0.0), 1);
    let train = Subset::new(airfoil.clone(), split.train.clone());
    let scaler = Standardizer::fit(&train).unwrap();
    let standardized = scaler.transform_dataset(&airfoil).unwrap();
    let train_rows: Vec<f64> = split
        .train
        .iter()
        .flat_map(|&i| standardized.get(i).features.to_vec())
        .collect();
    let train_x = Tensor::from_vec(train_rows, &[split.train.len(), 5]);
    for c in 0..5 {
        let (mean, std) = column_stats(&train_x, c);
        assert!(mean.abs() < 1e-9, "column {c} mean {mean}");
        assert!((std - 1.0).abs() < 1e-9, "column {c} std {std}");
    }
}

#[test]
fn validation_split_uses_the_training_statistics() {
    let airfoil = embedded::airfoil().unwrap().cast::<f64>();
    let split = random_split(airfoil.len(), SplitFractions::new(0.5, 0.5, 0.0), 2);
    let train = Subset::new(airfoil.clone(), split.train.clone());
    let validation = Subset::new(airfoil.clone(), split.validation.clone());
    let from_train = Standardizer::fit(&train).unwrap();
    let from_validation = Standardizer::fit(&validation).unwrap();
    assert_ne!(from_train.mean, from_validation.mean);
    let example = validation.get(0).features;
    let y = from_train.transform(&example).unwrap().to_vec();
    for (j, (&v, &x)) in y.iter().zip(example.to_vec().iter()).enumerate() {
        assert!((v - (x - from_train.mean[j]) / from_train.std[j]).abs() < 1e-12);
    }
    let back = from_train.inverse(&Tensor::from_vec(y, &[5])).unwrap();
    for (a, b) in back.to_vec().iter().zip(example.to_vec()) {
        assert!((a - b).abs() < 1e-9 * b.abs().max(1.0));
    }
}

#[test]
fn constant_feature_is_centred_not_divided_by_zero() {
    let x = Tensor::from_vec(vec![1.0f64, 5.0, 2.0, 5.0, 3.0, 5.0], &[3, 2]);
    let data = wengert_data::InMemoryDataset::classification(x, vec![0, 0, 1], 2);
    let s = Standardizer::fit(&data).unwrap();
    assert_eq!(s.std[1], 0.0);
    let y = s.transform_dataset(&data).unwrap();
    assert!(y.features().to_vec().iter().all(|v| v.is_finite()));
    let m = MinMaxScaler::fit(&data).unwrap();
    assert_eq!(
        m.transform(data.features()).unwrap().to_vec(),
        vec![0.0, 0.0, 0.5, 0.0, 1.0, 0.0]
    );
}

#[test]
fn shape_mismatch_names_both_shapes() {
    let data = embedded::digits().unwrap();
    let s = Standardizer::fit(&data).unwrap();
    let err = s.transform(&Tensor::<f32>::zeros(&[3, 5])).unwrap_err();
    assert!(
        err.to_string().contains("[64]") && err.to_string().contains("[3, 5]"),
        "{err}"
    );
}
