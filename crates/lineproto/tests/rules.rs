//! One test per encoding rule, through the public API.

use lineproto::{
    Dialect, Encoder, EncoderOptions, FieldValue, FloatFormat, Key, LineError, Measurement,
    NameError, NameKind, NonFinite, Precision, TagOrder,
};

fn encoder(dialect: Dialect) -> Encoder {
    Encoder::new(EncoderOptions::new(dialect))
}

/// Encodes one line with `build`, returns its text or the error.
fn line(options: EncoderOptions, build: impl FnOnce(&mut Encoder)) -> Result<String, LineError> {
    let mut encoder = Encoder::new(options);
    build(&mut encoder);
    let result = encoder.end_line(Some(1));
    let text = String::from_utf8(encoder.as_bytes().to_vec()).unwrap();
    result.map(|()| text)
}

fn v1() -> EncoderOptions {
    EncoderOptions::new(Dialect::InfluxDbV1)
}

fn v3() -> EncoderOptions {
    EncoderOptions::new(Dialect::InfluxDbV3)
}

fn datalayers() -> EncoderOptions {
    EncoderOptions::new(Dialect::Datalayers)
}

#[test]
fn basic_line_all_field_kinds() {
    let text = line(EncoderOptions::new(Dialect::InfluxDbV2), |e| {
        e.start_line("m")
            .tag("t", "v")
            .field_i64("i", -3)
            .field_u64("u", 7)
            .field_f64("f", 1.5)
            .field_bool("b", true)
            .field_bool("c", false)
            .field_str("s", "x")
            .field("g", FieldValue::from(2i64));
    });
    assert_eq!(
        text.unwrap(),
        "m,t=v i=-3i,u=7u,f=1.5,b=true,c=false,s=\"x\",g=2i 1\n"
    );
}

#[test]
fn hex_ids_as_tags_and_fields() {
    let trace = [
        0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47,
        0x36,
    ];
    for options in [
        v1(),
        v3(),
        datalayers(),
        v3().with_tag_order(TagOrder::AsGiven),
    ] {
        // Sorted among text tags like any other tag (after a later, smaller key too).
        let text = line(options, |e| {
            e.start_line("spans")
                .tag_hex("trace_id", &trace)
                .tag("a", "x")
                .field_hex("parent", &[0, 1, 0xfe, 0xff]);
        });
        let expected = if options.tag_order == TagOrder::Sorted {
            "spans,a=x,trace_id=4bf92f3577b34da6a3ce929d0e0e4736 parent=\"0001feff\" 1\n"
        } else {
            "spans,trace_id=4bf92f3577b34da6a3ce929d0e0e4736,a=x parent=\"0001feff\" 1\n"
        };
        assert_eq!(text.unwrap(), expected, "{options:?}");
    }
    // An empty id is an empty tag value; an empty field is an empty string.
    let empty = line(v1(), |e| {
        e.start_line("spans")
            .tag_hex("span_id", &[])
            .field_i64("n", 1);
    });
    assert!(
        matches!(&empty, Err(LineError::InvalidTagValue { key, reason: NameError::Empty }) if key == "span_id"),
        "{empty:?}"
    );
    let text = line(v1(), |e| {
        e.start_line("m").field_hex("id", &[]);
    });
    assert_eq!(text.unwrap(), "m id=\"\" 1\n");
}

#[test]
fn measurement_escapes_comma_and_space_only() {
    let text = line(v3(), |e| {
        e.start_line("a,b c=d").field_i64("f", 1);
    });
    assert_eq!(text.unwrap(), "a\\,b\\ c=d f=1i 1\n");
}

#[test]
fn tag_key_tag_value_and_field_key_escape_comma_equals_space() {
    let text = line(v3(), |e| {
        e.start_line("m").tag("k,= ", "v,= ").field_i64("f,= ", 1);
    });
    assert_eq!(text.unwrap(), "m,k\\,\\=\\ =v\\,\\=\\  f\\,\\=\\ =1i 1\n");
}

#[test]
fn string_field_escapes_quote_and_backslash_and_keeps_control_bytes_raw() {
    let text = line(v1(), |e| {
        e.start_line("m").field_str("s", "a\"b\\c\nd\te\rf ,=ü");
    });
    assert_eq!(text.unwrap(), "m s=\"a\\\"b\\\\c\nd\te\rf ,=ü\" 1\n");
}

#[test]
fn empty_string_field_is_two_quotes() {
    assert_eq!(
        line(v1(), |e| {
            e.start_line("m").field_str("s", "");
        })
        .unwrap(),
        "m s=\"\" 1\n"
    );
}

#[test]
fn names_are_validated() {
    let cases: &[(&str, NameKind, NameError)] = &[
        ("", NameKind::Measurement, NameError::Empty),
        ("m\\", NameKind::Measurement, NameError::TrailingBackslash),
        ("#m", NameKind::Measurement, NameError::LeadingHash),
        (
            "m\n",
            NameKind::Measurement,
            NameError::ControlCharacter {
                byte: b'\n',
                position: 1,
            },
        ),
        (
            "\x7f",
            NameKind::Measurement,
            NameError::ControlCharacter {
                byte: 0x7f,
                position: 0,
            },
        ),
    ];
    for (name, what, source) in cases {
        let result = line(v1(), |e| {
            e.start_line(*name).field_i64("f", 1);
        });
        let expected = LineError::InvalidName {
            what: *what,
            name: (*name).into(),
            source: source.clone(),
        };
        assert_eq!(result, Err(expected));
    }
    let keys: &[(&str, NameError)] = &[
        ("", NameError::Empty),
        ("k\\", NameError::TrailingBackslash),
        (
            "k\0",
            NameError::ControlCharacter {
                byte: 0,
                position: 1,
            },
        ),
        (
            "\tk",
            NameError::ControlCharacter {
                byte: b'\t',
                position: 0,
            },
        ),
    ];
    for (key, source) in keys {
        let as_tag = line(v1(), |e| {
            e.start_line("m").tag(*key, "v").field_i64("f", 1);
        });
        assert_eq!(
            as_tag,
            Err(LineError::InvalidName {
                what: NameKind::TagKey,
                name: (*key).into(),
                source: source.clone()
            })
        );
        let as_field = line(v1(), |e| {
            e.start_line("m").field_i64(*key, 1);
        });
        assert_eq!(
            as_field,
            Err(LineError::InvalidName {
                what: NameKind::FieldKey,
                name: (*key).into(),
                source: source.clone()
            })
        );
        let as_value = line(v1(), |e| {
            e.start_line("m").tag("t", key).field_i64("f", 1);
        });
        assert_eq!(
            as_value,
            Err(LineError::InvalidTagValue {
                key: "t".into(),
                reason: source.clone()
            })
        );
    }
    // '#' is only special at the start of a measurement.
    assert!(
        line(v1(), |e| {
            e.start_line("m#").tag("#t", "#v").field_i64("#f", 1);
        })
        .is_ok()
    );
}

#[test]
fn unchecked_names_are_still_checked_when_written() {
    const BAD: Measurement<'static> = Measurement::new_unchecked("bad\n");
    const KEY: Key<'static> = Key::new_unchecked("k");
    let result = line(v1(), |e| {
        e.start_line(BAD).field_i64(KEY, 1);
    });
    assert!(matches!(
        result,
        Err(LineError::InvalidName {
            what: NameKind::Measurement,
            ..
        })
    ));
    let owned = String::from("owned");
    assert_eq!(
        line(v1(), |e| {
            e.start_line(&owned).field_i64(KEY, 1);
        })
        .unwrap(),
        "owned k=1i 1\n"
    );
}

#[test]
fn a_line_needs_a_field() {
    assert_eq!(
        line(v1(), |e| {
            e.start_line("m").tag("t", "v");
        }),
        Err(LineError::NoFields)
    );
    assert_eq!(
        line(v1(), |e| {
            e.start_line("m");
        }),
        Err(LineError::NoFields)
    );
}

#[test]
fn failed_line_rolls_back_and_the_next_line_goes_on() {
    let mut e = encoder(Dialect::InfluxDbV1);
    e.start_line("m").tag("t", "1").field_i64("f", 1);
    e.end_line(Some(10)).unwrap();
    let good = e.as_bytes().to_vec();
    // The error comes after a lot has been written; all of it must go.
    e.start_line("m")
        .tag("t", "2")
        .field_str("s", &"x".repeat(1000))
        .field_i64("", 2)
        .field_i64("g", 3);
    assert!(matches!(
        e.line_error(),
        Some(LineError::InvalidName {
            what: NameKind::FieldKey,
            ..
        })
    ));
    assert_eq!(e.as_bytes(), good, "as_bytes never shows a partial line");
    assert!(e.end_line(Some(20)).is_err());
    assert_eq!(e.as_bytes(), good);
    assert_eq!(e.line_error(), None);
    e.start_line("m").tag("t", "3").field_i64("f", 3);
    e.end_line(Some(30)).unwrap();
    assert_eq!(e.as_bytes(), b"m,t=1 f=1i 10\nm,t=3 f=3i 30\n");
    assert_eq!(e.line_ends(), [14, 28]);
    assert_eq!(e.stats().lines, 2);
    assert_eq!(e.stats().rejected_lines, 1);
}

#[test]
fn first_error_sticks() {
    let mut e = encoder(Dialect::InfluxDbV1);
    e.start_line("m")
        .tag("", "v")
        .tag("t", "")
        .field_u64("u", u64::MAX);
    assert_eq!(
        e.end_line(None),
        Err(LineError::InvalidName {
            what: NameKind::TagKey,
            name: String::new(),
            source: NameError::Empty
        })
    );
}

#[test]
fn call_order_is_checked() {
    type Build = Box<dyn Fn(&mut Encoder)>;
    let cases: Vec<(&str, Build, &str)> = vec![
        (
            "tag after field",
            Box::new(|e| {
                e.start_line("m").field_i64("f", 1).tag("t", "v");
            }),
            "tag",
        ),
        (
            "tag before start",
            Box::new(|e| {
                e.tag("t", "v");
            }),
            "tag",
        ),
        (
            "field before start",
            Box::new(|e| {
                e.field_i64("f", 1);
            }),
            "field",
        ),
        (
            "string writer before start",
            Box::new(|e| {
                e.field_str_with("f", |w| w.push_str("x"));
            }),
            "field",
        ),
        (
            "start inside a line",
            Box::new(|e| {
                e.start_line("m").field_i64("f", 1).start_line("n");
            }),
            "start_line",
        ),
    ];
    for (what, build, call) in cases {
        let mut e = encoder(Dialect::InfluxDbV1);
        build(&mut e);
        assert_eq!(
            e.end_line(None),
            Err(LineError::OutOfOrder { call }),
            "{what}"
        );
        assert!(e.is_empty(), "{what}");
        // The encoder is usable again.
        e.start_line("m").field_i64("f", 1);
        e.end_line(None).unwrap();
        assert_eq!(e.as_bytes(), b"m f=1i\n");
    }
    let mut e = encoder(Dialect::InfluxDbV1);
    assert_eq!(
        e.end_line(None),
        Err(LineError::OutOfOrder { call: "end_line" })
    );
}

#[test]
fn a_failed_call_before_start_line_fails_that_line() {
    let mut e = encoder(Dialect::InfluxDbV1);
    e.tag("t", "v");
    // start_line is a no-op on a failed line, so the whole line is refused, then all is well.
    e.start_line("m").field_i64("f", 1);
    assert_eq!(e.end_line(None), Err(LineError::OutOfOrder { call: "tag" }));
    e.start_line("m").field_i64("f", 1);
    assert_eq!(e.end_line(None), Ok(()));
}

#[test]
fn cancel_line_rolls_back_without_counting() {
    let mut e = encoder(Dialect::InfluxDbV1);
    e.start_line("m").field_i64("f", 1);
    e.cancel_line();
    e.cancel_line();
    assert!(e.is_empty());
    assert_eq!(e.stats().rejected_lines, 0);
    e.start_line("m").field_i64("f", 2);
    e.end_line(None).unwrap();
    assert_eq!(e.as_bytes(), b"m f=2i\n");
}

#[test]
fn influxdb_v1_writes_unsigned_as_integer_when_it_fits() {
    assert_eq!(
        line(v1(), |e| {
            e.start_line("m").field_u64("u", i64::MAX as u64);
        })
        .unwrap(),
        "m u=9223372036854775807i 1\n"
    );
    assert_eq!(
        line(v1(), |e| {
            e.start_line("m").field_u64("u", i64::MAX as u64 + 1);
        }),
        Err(LineError::UnsignedOutOfRange {
            key: "u".into(),
            value: 1 << 63
        })
    );
    for dialect in [
        Dialect::InfluxDbV2,
        Dialect::InfluxDbV3,
        Dialect::Datalayers,
    ] {
        let text = line(EncoderOptions::new(dialect), |e| {
            e.start_line("m").tag("t", "v").field_u64("u", u64::MAX);
        });
        assert_eq!(
            text.unwrap(),
            "m,t=v u=18446744073709551615u 1\n",
            "{dialect}"
        );
    }
}

#[test]
fn influxdb_v1_and_v2_write_backslashes_raw_and_refuse_ambiguous_ones() {
    for options in [v1(), EncoderOptions::new(Dialect::InfluxDbV2)] {
        let text = line(options, |e| {
            e.start_line("a\\b=c")
                .tag("k\\x", "c\\\\d")
                .field_str("f\\y", "\\");
        });
        assert_eq!(text.unwrap(), "a\\b=c,k\\x=c\\\\d f\\y=\"\\\\\" 1\n");
        // Tag keys and values: the Go parser reads a byte after a backslash as escaped, so a raw
        // backslash before an escaped byte is fine there (checked in tests/influxd_roundtrip.rs).
        for value in ["e\\,f", "g\\ h", "i\\=j"] {
            let text = line(options, |e| {
                e.start_line("m").tag(value, value).field_i64("f", 1);
            });
            let escaped = value
                .replace(',', "\\,")
                .replace(' ', "\\ ")
                .replace('=', "\\=");
            assert_eq!(text.unwrap(), format!("m,{escaped}={escaped} f=1i 1\n"));
        }
        // Field keys and measurements: the parser pairs backslashes there.
        for key in ["e\\,f", "g\\ h", "i\\=j"] {
            let result = line(options, |e| {
                e.start_line("m").field_i64(key, 1);
            });
            assert_eq!(
                result,
                Err(LineError::AmbiguousBackslash { key: key.into() }),
                "{key}"
            );
        }
        // In a measurement '=' is not escaped, so a backslash before it is unambiguous.
        assert!(
            line(options, |e| {
                e.start_line("m\\=").field_i64("f", 1);
            })
            .is_ok()
        );
        for measurement in ["m\\,", "m\\ x"] {
            let result = line(options, |e| {
                e.start_line(measurement).field_i64("f", 1);
            });
            assert_eq!(
                result,
                Err(LineError::AmbiguousBackslash {
                    key: measurement.into()
                })
            );
        }
    }
}

#[test]
fn influxdb_v1_refuses_time_as_a_tag_or_field_key() {
    let as_tag = line(v1(), |e| {
        e.start_line("m").tag("time", "x").field_i64("f", 1);
    });
    assert_eq!(
        as_tag,
        Err(LineError::InvalidName {
            what: NameKind::TagKey,
            name: "time".into(),
            source: NameError::Reserved
        })
    );
    let as_field = line(v1(), |e| {
        e.start_line("m").field_i64("time", 1);
    });
    assert_eq!(
        as_field,
        Err(LineError::InvalidName {
            what: NameKind::FieldKey,
            name: "time".into(),
            source: NameError::Reserved
        })
    );
    // Only the exact key, and only for 1.x; a measurement or tag value may be "time".
    assert!(
        line(v1(), |e| {
            e.start_line("time").tag("t", "time").field_i64("times", 1);
        })
        .is_ok()
    );
    assert!(
        line(v3(), |e| {
            e.start_line("m").tag("time", "x").field_i64("time", 1);
        })
        .is_ok()
    );
}

#[test]
fn influxdb_v3_escapes_backslashes_in_names() {
    let text = line(v3(), |e| {
        e.start_line("a\\b")
            .tag("k\\", "\\v\\,")
            .field_str("f\\\\", "\\");
    });
    // A trailing backslash is refused in every dialect, even where it could be escaped.
    assert_eq!(
        text,
        Err(LineError::InvalidName {
            what: NameKind::TagKey,
            name: "k\\".into(),
            source: NameError::TrailingBackslash
        })
    );
    let text = line(v3(), |e| {
        e.start_line("a\\b")
            .tag("k\\x", "\\v\\,x")
            .field_str("f\\\\x", "\\");
    });
    assert_eq!(
        text.unwrap(),
        "a\\\\b,k\\\\x=\\\\v\\\\\\,x f\\\\\\\\x=\"\\\\\" 1\n"
    );
}

#[test]
fn datalayers_rules() {
    assert_eq!(
        line(datalayers(), |e| {
            e.start_line("m").field_i64("f", 1);
        }),
        Err(LineError::NoTags)
    );
    assert_eq!(
        line(datalayers(), |e| {
            e.start_line("m").tag("t", "v");
        }),
        Err(LineError::NoFields)
    );
    let as_given = datalayers().with_tag_order(TagOrder::AsGiven);
    assert_eq!(
        line(as_given, |e| {
            e.start_line("m").field_i64("f", 1);
        }),
        Err(LineError::NoTags)
    );
    for good in ["spans", "span-links", "_x.y-z9", &"a".repeat(63)] {
        assert!(
            line(datalayers(), |e| {
                e.start_line(good).tag("t", "v").field_i64("f", 1);
            })
            .is_ok(),
            "{good}"
        );
    }
    for bad in ["9m", "-m", "m m", "mü", "m,x", &"a".repeat(64)] {
        // As text, and as a `Measurement` that remembers the answer.
        let measurement = lineproto::Measurement::new_unchecked(bad);
        for as_text in [true, false] {
            assert_eq!(
                line(datalayers(), |e| {
                    if as_text {
                        e.start_line(bad);
                    } else {
                        e.start_line(measurement);
                    }
                    e.tag("t", "v").field_i64("f", 1);
                }),
                Err(LineError::InvalidMeasurementForDialect {
                    name: bad.into(),
                    dialect: Dialect::Datalayers
                }),
                "{bad}"
            );
        }
    }
    // Any backslash the Go and IOx parsers might read differently is refused; others are raw.
    for value in ["a\\\\b", "a\\,b", "a\\=b", "a\\ b"] {
        assert_eq!(
            line(datalayers(), |e| {
                e.start_line("m").tag("t", value).field_i64("f", 1);
            }),
            Err(LineError::AmbiguousBackslash { key: "t".into() }),
            "{value}"
        );
    }
    let text = line(datalayers(), |e| {
        e.start_line("m").tag("t\\x", "a\\b").field_str("s", "\\\\");
    });
    assert_eq!(text.unwrap(), "m,t\\x=a\\b s=\"\\\\\\\\\" 1\n");
}

#[test]
fn non_finite_floats_are_skipped_and_counted_or_refused() {
    let mut e = encoder(Dialect::InfluxDbV1);
    e.start_line("m")
        .field_f64("nan", f64::NAN)
        .field_f64("x", 1.0)
        .field_f64("inf", f64::INFINITY);
    e.end_line(None).unwrap();
    assert_eq!(e.as_bytes(), b"m x=1\n");
    assert_eq!(e.stats().skipped_non_finite, 2);
    // Every field skipped: no fields.
    e.start_line("m").field_f64("nan", f64::NAN);
    assert_eq!(e.end_line(None), Err(LineError::NoFields));
    // Skipped NaN still closes the tag section.
    e.start_line("m")
        .field_f64("nan", f64::NAN)
        .tag("t", "v")
        .field_i64("f", 1);
    assert_eq!(e.end_line(None), Err(LineError::OutOfOrder { call: "tag" }));

    let refuse = v1().with_non_finite(NonFinite::Error);
    assert_eq!(
        line(refuse, |e| {
            e.start_line("m")
                .field_f64("x", 1.0)
                .field_f64("n", f64::NEG_INFINITY);
        }),
        Err(LineError::NonFiniteFloat { key: "n".into() })
    );
}

#[test]
fn floats_in_both_formats() {
    let values = [1.0, 1e6, 0.00001, 1e300, -0.0, 0.1 + 0.2, 123456.0];
    let shortest = line(v1(), |e| {
        e.start_line("m");
        for (i, v) in values.iter().enumerate() {
            e.field_f64(format!("f{i}").as_str(), *v);
        }
    });
    assert_eq!(
        shortest.unwrap(),
        "m f0=1,f1=1000000,f2=0.00001,f3=1e300,f4=-0,f5=0.30000000000000004,f6=123456 1\n"
    );
    let go = line(v1().with_float_format(FloatFormat::GoStrconv), |e| {
        e.start_line("m");
        for (i, v) in values.iter().enumerate() {
            e.field_f64(format!("f{i}").as_str(), *v);
        }
    });
    assert_eq!(
        go.unwrap(),
        "m f0=1,f1=1e+06,f2=1e-05,f3=1e+300,f4=-0,f5=0.30000000000000004,f6=123456 1\n"
    );
}

#[test]
fn precision_scales_with_floor_division() {
    let cases = [
        (Precision::Nanoseconds, 1_999_999_999, "1999999999"),
        (Precision::Microseconds, 1_999_999_999, "1999999"),
        (Precision::Milliseconds, 1_999_999_999, "1999"),
        (Precision::Seconds, 1_999_999_999, "1"),
        (Precision::Seconds, -1, "-1"),
        (Precision::Microseconds, -1_001, "-2"),
        (Precision::Nanoseconds, i64::MIN, "-9223372036854775808"),
        (Precision::Seconds, i64::MAX, "9223372036"),
    ];
    for (precision, ns, expected) in cases {
        let mut e = Encoder::new(v1().with_precision(precision));
        e.start_line("m").field_i64("f", 1);
        e.end_line(Some(ns)).unwrap();
        assert_eq!(
            e.as_bytes(),
            format!("m f=1i {expected}\n").as_bytes(),
            "{precision:?} {ns}"
        );
    }
    assert_eq!(Precision::Microseconds.as_str(), "us");
    let mut e = encoder(Dialect::InfluxDbV1);
    e.start_line("m").field_i64("f", 1);
    e.end_line(None).unwrap();
    assert_eq!(e.as_bytes(), b"m f=1i\n");
}

#[test]
fn sorted_tags_are_ordered_by_raw_key_bytes_and_deduplicated_last_wins() {
    let text = line(v1(), |e| {
        e.start_line("m")
            .tag("b", "1")
            .tag("a b", "2") // sorts by raw ' ' (0x20), not by the escape '\\'
            .tag("a", "3")
            .tag("b", "4")
            .tag("a!", "5")
            .tag("B", "6")
            .tag("b", "7")
            .field_i64("f", 1);
    });
    assert_eq!(text.unwrap(), "m,B=6,a=3,a\\ b=2,a!=5,b=7 f=1i 1\n");
}

#[test]
fn sorted_tags_placed_in_the_line_match_sorting_in_every_call_order() {
    // Tags sorted as they come (inserted at the front, in the middle, replaced with longer and
    // shorter values), with committed lines before them that `clear` drops mid-line.
    let tags = [
        ("c", "3"),
        ("a", "1"),
        ("b", "22"),
        ("d", "4"),
        ("b", "2"),
        ("a", "111"),
    ];
    let mut e = encoder(Dialect::InfluxDbV1);
    e.start_line("first").field_i64("f", 0);
    e.end_line(None).unwrap();
    e.start_line("m");
    for (i, (key, value)) in tags.iter().enumerate() {
        e.tag(*key, value);
        if i == 2 {
            e.clear();
        }
    }
    e.field_i64("f", 1);
    e.end_line(None).unwrap();
    assert_eq!(e.as_bytes(), b"m,a=111,b=2,c=3,d=4 f=1i\n");
    // A key that needs escaping after some tags were placed: the same order.
    let text = line(v1(), |e| {
        e.start_line("m")
            .tag("b", "1")
            .tag("d", "2")
            .tag("c d", "3")
            .tag("a", "4")
            .field_i64("f", 1);
    });
    assert_eq!(text.unwrap(), "m,a=4,b=1,c\\ d=3,d=2 f=1i 1\n");
}

#[test]
fn as_given_tags_keep_their_order() {
    let text = line(v1().with_tag_order(TagOrder::AsGiven), |e| {
        e.start_line("m")
            .tag("b", "1")
            .tag("a", "2")
            .field_i64("f", 1);
    });
    assert_eq!(text.unwrap(), "m,b=1,a=2 f=1i 1\n");
}

#[test]
fn sorted_tags_with_an_error_roll_back_and_scratch_is_reset() {
    let mut e = encoder(Dialect::InfluxDbV1);
    e.start_line("m")
        .tag("z", "1")
        .tag("y", "")
        .field_i64("f", 1);
    assert!(e.end_line(None).is_err());
    e.start_line("m").tag("x", "2").field_i64("f", 1);
    e.end_line(None).unwrap();
    assert_eq!(e.as_bytes(), b"m,x=2 f=1i\n");
}

#[test]
fn line_ends_track_lines_with_raw_lf_in_strings() {
    let mut e = encoder(Dialect::InfluxDbV1);
    for s in ["a\nb", "\n", "c"] {
        e.start_line("m").field_str("s", s);
        e.end_line(None).unwrap();
    }
    let bytes = e.as_bytes();
    assert_eq!(bytes.iter().filter(|&&b| b == b'\n').count(), 5);
    assert_eq!(e.line_count(), 3);
    let lines: Vec<&[u8]> = e.lines().iter().collect();
    assert_eq!(
        lines,
        [&b"m s=\"a\nb\"\n"[..], b"m s=\"\n\"\n", b"m s=\"c\"\n"]
    );
    assert_eq!(*e.line_ends().last().unwrap(), e.len());
}

#[test]
fn field_str_with_streams_escaped_pieces() {
    use std::io::Write as _;
    let mut e = encoder(Dialect::InfluxDbV1);
    e.start_line("m").field_str_with("j", |w| {
        w.push_str("{\"a\":");
        w.push_char('"');
        w.write_all(b"\\x\"}").unwrap();
    });
    e.end_line(None).unwrap();
    assert_eq!(e.as_bytes(), b"m j=\"{\\\"a\\\":\\\"\\\\x\\\"}\"\n");

    e.start_line("m").field_str_with("bad", |w| {
        w.write_all(&[0xff]).unwrap();
    });
    assert_eq!(
        e.end_line(None),
        Err(LineError::InvalidUtf8 { key: "bad".into() })
    );
    // A UTF-8 character split across io::Write calls is fine.
    e.start_line("m").field_str_with("split", |w| {
        let bytes = "ü".as_bytes();
        w.write_all(&bytes[..1]).unwrap();
        w.write_all(&bytes[1..]).unwrap();
    });
    e.end_line(None).unwrap();
    assert!(e.as_bytes().ends_with("m split=\"ü\"\n".as_bytes()));
}

#[test]
fn buffer_management() {
    let mut e = Encoder::with_buffer(b"junk".to_vec(), v1());
    assert!(e.is_empty());
    e.start_line("m").field_i64("f", 1);
    e.end_line(None).unwrap();
    // An open line survives clear() and take_buffer().
    e.start_line("n").field_i64("g", 2);
    e.clear();
    assert!(e.is_empty());
    assert_eq!(e.line_ends(), [] as [usize; 0]);
    e.end_line(None).unwrap();
    assert_eq!(e.as_bytes(), b"n g=2i\n");
    e.start_line("o").field_i64("h", 3);
    let taken = e.take_buffer();
    assert_eq!(taken, b"n g=2i\n");
    e.end_line(None).unwrap();
    assert_eq!(e.as_bytes(), b"o h=3i\n");
    assert_eq!(e.line_ends(), [7]);
    assert_eq!(e.options().dialect, Dialect::InfluxDbV1);
}

#[test]
fn dialect_names_parse_back() {
    for &dialect in Dialect::ALL {
        assert_eq!(dialect.name().parse::<Dialect>(), Ok(dialect));
        assert_eq!(dialect.to_string(), dialect.name());
    }
    assert!("influxdb".parse::<Dialect>().is_err());
    assert_eq!(Dialect::default(), Dialect::Datalayers);
    assert!(!Dialect::InfluxDbV1.supports_unsigned());
}

#[test]
fn errors_read_clearly() {
    let error = LineError::InvalidTagValue {
        key: "host".into(),
        reason: NameError::TrailingBackslash,
    };
    assert_eq!(
        error.to_string(),
        "invalid value for tag \"host\": ends with a backslash"
    );
    let error = LineError::InvalidName {
        what: NameKind::FieldKey,
        name: "a\nb".into(),
        source: NameError::ControlCharacter {
            byte: b'\n',
            position: 1,
        },
    };
    assert_eq!(
        error.to_string(),
        "invalid field key \"a\\nb\": contains control byte 0x0a at byte 1"
    );
}
