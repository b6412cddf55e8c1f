// The same commands as ../ours/00001-users-email-index.json, through the driver.
module.exports = {
  async up(db) { await db.collection("users").createIndex({ email: 1 }, { name: "email_1", unique: true }); },
  async down(db) { await db.collection("users").dropIndex("email_1"); },
};
