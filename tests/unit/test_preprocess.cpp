// Preprocessing against the container's steps and OpenCV's own blobFromImage as the reference.
#include <gtest/gtest.h>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "vision/preprocess.h"

using namespace vigil::vision;

TEST(Preprocess, CentreSquare) {
  EXPECT_EQ(centre_square({400, 300}), cv::Rect(50, 0, 300, 300));
  EXPECT_EQ(centre_square({300, 401}), cv::Rect(0, 50, 300, 300));
  EXPECT_EQ(centre_square({7, 7}), cv::Rect(0, 0, 7, 7));
}

TEST(Preprocess, LongSideLimit) {
  cv::Mat big(2000, 3200, CV_8UC3, cv::Scalar(1, 2, 3));
  cv::Mat out = limit_long_side(big, kMaxLongSide);
  EXPECT_EQ(out.cols, 1600);
  EXPECT_EQ(out.rows, 1000);
  cv::Mat small(100, 50, CV_8UC3);
  EXPECT_EQ(limit_long_side(small, kMaxLongSide).data, small.data);  // untouched
}

TEST(Preprocess, ClassificationCropTakesTheCentre) {
  // Each pixel's blue channel holds its column / 2, green its row / 2, in a 480x240 image: the crop of the
  // centre square (columns 120..359) resized to 256 and cropped to 227 starts at column 120 + 14.5 * 240/256.
  cv::Mat img(240, 480, CV_8UC3);
  for (int y = 0; y < img.rows; ++y)
    for (int x = 0; x < img.cols; ++x) img.at<cv::Vec3b>(y, x) = {static_cast<uchar>(x / 2), static_cast<uchar>(y), 0};
  cv::Mat crop = classification_crop(img, {227, 227});
  ASSERT_EQ(crop.size(), cv::Size(227, 227));
  const double scale = 240.0 / 256.0;
  const double first_col = 120 + (14 + 0.5) * scale - 0.5, last_col = 120 + (14 + 226 + 0.5) * scale - 0.5;
  EXPECT_NEAR(crop.at<cv::Vec3b>(113, 0)[0], first_col / 2, 1.5);
  EXPECT_NEAR(crop.at<cv::Vec3b>(113, 226)[0], last_col / 2, 1.5);
  EXPECT_NEAR(crop.at<cv::Vec3b>(0, 113)[1], (14 + 0.5) * scale - 0.5, 1.5);
  EXPECT_NEAR(crop.at<cv::Vec3b>(226, 113)[1], (240 + 0.5) * scale - 0.5, 1.5);
}

TEST(Preprocess, BlobMatchesBlobFromImage) {
  cv::Mat img(31, 45, CV_8UC3);
  cv::randu(img, 0, 256);
  for (bool swap : {false, true}) {
    BlobOptions o;
    o.swap_rb = swap;
    o.norm.mean = {104, 117, 123};
    cv::Mat want = cv::dnn::blobFromImage(img, 1.0, img.size(), cv::Scalar(104, 117, 123), swap, false);
    // Both take the mean in the network's channel order (after the swap).
    cv::Mat got = to_blob(img, o);
    ASSERT_EQ(got.size, want.size);
    EXPECT_LT(cv::norm(got, want, cv::NORM_INF), 1e-4);
  }
  BlobOptions unit;
  unit.swap_rb = true;
  unit.pixel_scale = 1.f / 255.f;
  cv::Mat want = cv::dnn::blobFromImage(img, 1.0 / 255.0, img.size(), cv::Scalar(), true, false);
  EXPECT_LT(cv::norm(to_blob(img, unit), want, cv::NORM_INF), 1e-6);
}

TEST(Preprocess, BlobAppliesScaleAndOffset) {
  cv::Mat img(1, 1, CV_8UC3, cv::Scalar(10, 20, 30));
  BlobOptions o;
  o.norm.mean = {1, 2, 3};
  o.norm.scale = {2, 3, 4};
  o.norm.offset = {0.5f, 0, -1};
  cv::Mat b = to_blob(img, o);
  EXPECT_FLOAT_EQ(b.ptr<float>(0, 0)[0], (10 - 1) * 2 + 0.5f);
  EXPECT_FLOAT_EQ(b.ptr<float>(0, 1)[0], (20 - 2) * 3);
  EXPECT_FLOAT_EQ(b.ptr<float>(0, 2)[0], (30 - 3) * 4 - 1);
}
