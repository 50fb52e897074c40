pub type ContentType = String;
